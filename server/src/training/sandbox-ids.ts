/** Issue 21: which practice sandbox a trainee works in (the ids PracticeSandboxes takes). */
export const classSandboxId = (classId: string): string => `class-${classId}`;
export const userSandboxId = (userId: string): string => `user-${userId}`;
