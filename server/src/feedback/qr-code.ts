import { Injectable } from '@nestjs/common';
import QRCode from 'qrcode';

/** QR images of the public page's short links, for notices and e-boards (a port, so tests need no library). */
export abstract class QrCodes {
  /** An SVG document encoding `text`. */
  abstract svg(text: string): Promise<string>;
}

/**
 * The `qrcode` package: medium error correction (a printed notice survives a crease or a stain) and the standard
 * four-module quiet zone, so cheap phone cameras find the code.
 */
@Injectable()
export class QrCodeSvg extends QrCodes {
  svg(text: string): Promise<string> {
    return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  }
}
