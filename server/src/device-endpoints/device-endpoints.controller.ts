import { Controller, Get, Req } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEVICE_ENDPOINTS_PATH, type DeviceEndpoints } from '@loa/shared';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { MessageBroker } from '../broker/message-broker.js';
import { withoutCredentials } from '../broker/broker-url.js';
import { AppConfig } from '../config/app-config.js';
import { deviceEndpoints, hostOfHeader } from './device-endpoints.js';

/** The addresses an installer configures into an agent (the dashboard's once-shown command line uses them). */
@ApiTags('devices')
@ApiBearerAuth()
@Controller(DEVICE_ENDPOINTS_PATH.slice(1))
export class DeviceEndpointsController {
  constructor(
    private readonly config: AppConfig,
    private readonly broker: MessageBroker,
    private readonly adapter: HttpAdapterHost,
  ) {}

  @Get()
  @Roles(ANY_ROLE)
  get(@Req() req: IncomingMessage): DeviceEndpoints {
    const address = this.adapter.httpAdapter.getHttpServer().address() as AddressInfo | null;
    return deviceEndpoints(
      {
        publicHttpUrl: this.config.publicHttpUrl,
        // Devices connect to the external broker, when there is one, not to this server.
        publicMqttUrl: this.config.publicMqttUrl ?? (this.config.externalBroker === null ? null : withoutCredentials(this.config.externalBroker.url)),
        httpHost: this.config.httpHost,
        httpPort: address?.port ?? this.config.httpPort,
        https: this.config.tls !== null,
        mqttHost: this.config.mqttHost,
        mqttPort: this.broker.port,
        mqttsPort: this.broker.tlsPort,
      },
      hostOfHeader(req.headers.host),
    );
  }
}
