import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SIGNING_KEY_PATH, type SigningKeyResponse } from '@loa/shared';
import { Public } from '../auth/decorators.js';
import { SigningService } from './signing.service.js';

/** Public: a public key is no secret, and installers need it to configure agents by hand. */
@ApiTags('devices')
@Controller(SIGNING_KEY_PATH.slice(1))
export class SigningController {
  constructor(private readonly signing: SigningService) {}

  @Public()
  @Get()
  key(): SigningKeyResponse {
    return { alg: 'Ed25519', kid: this.signing.kid, publicKey: this.signing.publicKey };
  }
}
