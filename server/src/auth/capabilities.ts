/** Issue 19: one definition of what a role may do, shared with the dashboard (see @loa/shared/rest capabilities). */
export { capabilitiesOf, type CapabilitySettings } from '@loa/shared/rest';
