// Types of scripts/lab-env.js for the tests that share it.
export function testBoxImage(root: string): string;
export function testBoxImageLines(image: string): string[];
export function labWork(
  root: string,
  name: string,
  nsName?: string,
): { work: string; ns: string; state: string; env: string };
