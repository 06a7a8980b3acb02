// HTTP(S) GETs of small index files (releases.json, CHECKSUM files, folder listings). Downloads of images are
// Packer's job; this only reads text, with a time limit. SIGINT/SIGTERM end labforge at once while no tool runs
// (run.ts), so a fetch never holds it up.
import { HttpError } from '../errors.js';
import { HTTP_S } from '../time-limits.js';

/** The body of `url` as text; an HttpError for a network failure, a time-out or a status other than 200. */
export async function getText(url: string, opts: { timeoutMs?: number; maxBytes?: number } = {}): Promise<string> {
  const controller = new AbortController();
  const timeoutMs = opts.timeoutMs ?? HTTP_S * 1000;
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)),
    timeoutMs,
  );
  try {
    const res = await fetch(url, {
      signal: controller.signal,
      redirect: 'follow',
      headers: { 'user-agent': 'labforge' },
    });
    if (res.status !== 200) throw new HttpError(url, res.status, `HTTP ${res.status} ${res.statusText}`.trim());
    const text = await res.text();
    if (text.length > (opts.maxBytes ?? 16 << 20))
      throw new HttpError(url, res.status, `more than ${opts.maxBytes ?? 16 << 20} bytes`);
    return text;
  } catch (e) {
    if (e instanceof HttpError) throw e;
    const cause = (e as Error & { cause?: Error }).cause;
    throw new HttpError(
      url,
      undefined,
      (controller.signal.reason as Error | undefined)?.message ?? cause?.message ?? (e as Error).message,
    );
  } finally {
    clearTimeout(timer);
  }
}
