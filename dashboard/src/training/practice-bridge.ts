/**
 * Issue 21: how a lesson enters practice mode — through the practice switch (`../practice-mode.ts`, which points the
 * API client at `/practice/api` and reloads the page). The training routes stay on the real server there.
 */
import { inPractice, setPractice } from '../practice-mode.js';

/** True when the page was already practising; otherwise practice starts with a reload (the guide survives it). */
export function enterPractice(): boolean {
  if (inPractice()) return true;
  setPractice(true);
  return false;
}

export { inPractice };
