/**
 * Issue 21: the virtual devices a new sandbox gets, created inside the practice instance. The virtual-devices feature
 * (server/src/virtual-devices/, which runs them) provides it; without it a sandbox is seeded with no device.
 */
export abstract class PracticeDeviceSeeder {
  /** Creates `speakers` virtual speakers and `boards` virtual boards in each commune; answers how many were created. */
  abstract seed(communeCodes: readonly string[], speakers: number, boards: number): Promise<number>;
}
