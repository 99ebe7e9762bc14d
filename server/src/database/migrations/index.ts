import { Initial1763800000000 } from './1763800000000-initial.js';
import { Alerts1763900000000 } from './1763900000000-alerts.js';
import { Scheduling1764000000000 } from './1764000000000-scheduling.js';
import { FleetStatus1764100000000 } from './1764100000000-fleet-status.js';
import { Commands1764200000000 } from './1764200000000-commands.js';
import { Provisioning1764300000000 } from './1764300000000-provisioning.js';
import { AudioPipeline1764500000000 } from './1764500000000-audio-pipeline.js';
import { ContentLifecycle1764600000000 } from './1764600000000-content-lifecycle.js';
import { Users1764700000000 } from './1764700000000-users.js';
import { AuditLog1764800000000 } from './1764800000000-audit-log.js';
import { ApprovalRules1764900000000 } from './1764900000000-approval-rules.js';
import { RefreshTokens1765000000000 } from './1765000000000-refresh-tokens.js';
import { HeardMs1765120000000 } from './1765120000000-heard-ms.js';
import { DeviceEventsIndex1765200000000 } from './1765200000000-device-events-index.js';
import { DeviceList1765310000000 } from './1765310000000-device-list.js';
import { Fanouts1765420000000 } from './1765420000000-fanouts.js';
import { Coverage1765530000000 } from './1765530000000-coverage.js';
import { CalendarTokens1765540000000 } from './1765540000000-calendar-tokens.js';
import { SourceSystem1765550000000 } from './1765550000000-source-system.js';
import { SourceInbound1765560000000 } from './1765560000000-source-inbound.js';
import { Feedback1765570000000 } from './1765570000000-feedback.js';
import { AlertChannels1765580000000 } from './1765580000000-alert-channels.js';
import { AlertDeliveries1765580500000 } from './1765580500000-alert-deliveries.js';
import { Cap1765581000000 } from './1765581000000-cap.js';
import { TtsText1765581730000 } from './1765581730000-tts-text.js';

/** Every migration in order. Listed explicitly (no glob) so the same list works from sources and from dist. */
export const MIGRATIONS = [Initial1763800000000, Alerts1763900000000, Scheduling1764000000000, FleetStatus1764100000000, Commands1764200000000, Provisioning1764300000000, AudioPipeline1764500000000, ContentLifecycle1764600000000, Users1764700000000, AuditLog1764800000000, ApprovalRules1764900000000, RefreshTokens1765000000000, HeardMs1765120000000, DeviceEventsIndex1765200000000, DeviceList1765310000000, Fanouts1765420000000, Coverage1765530000000, CalendarTokens1765540000000, SourceSystem1765550000000, SourceInbound1765560000000, Feedback1765570000000, AlertChannels1765580000000, AlertDeliveries1765580500000, Cap1765581000000, TtsText1765581730000];
