// Facts about this host read from /dev, /proc and /sys (nothing is spawned here).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface KvmFacts {
  /** /dev/kvm exists and opens read-write. */
  device: boolean;
  /** The CPU advertises vmx or svm. */
  cpuFlags: boolean;
  /** kvm_intel/kvm_amd `nested` parameter, when the module is loaded. */
  nested?: boolean;
}

export function kvm(): KvmFacts {
  let device = false;
  try {
    fs.closeSync(fs.openSync('/dev/kvm', 'r+'));
    device = true;
  } catch {
    device = false;
  }
  let cpuFlags = false;
  try {
    cpuFlags = /\b(vmx|svm)\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    /* not Linux */
  }
  let nested: boolean | undefined;
  for (const mod of ['kvm_intel', 'kvm_amd']) {
    try {
      nested = /^(1|Y)/.test(fs.readFileSync(`/sys/module/${mod}/parameters/nested`, 'utf8').trim());
    } catch {
      /* module not loaded */
    }
  }
  return { device, cpuFlags, nested };
}

/** host.driver "auto" resolved: kvm only when the device opens and the CPU has virtualization extensions. */
export function resolveDriver(driver: 'auto' | 'kvm' | 'qemu'): 'kvm' | 'qemu' {
  if (driver !== 'auto') return driver;
  const k = kvm();
  return k.device && k.cpuFlags ? 'kvm' : 'qemu';
}

export function memoryMiB(): { total: number; available: number } {
  let available = os.freemem() / 2 ** 20;
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (m) available = Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return { total: os.totalmem() / 2 ** 20, available };
}

/** Free space in GiB of the file system holding `dir` (or its nearest existing parent). */
export function freeDiskGiB(dir: string): number {
  let d = dir;
  while (!fs.existsSync(d)) d = d.replace(/\/[^/]*$/, '') || '/';
  const s = fs.statfsSync(d);
  return (s.bavail * s.bsize) / 2 ** 30;
}

/** labforge's own cache folder for this user: $XDG_CACHE_HOME/labforge (~/.cache/labforge). */
export function userCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? os.homedir(), '.cache'), 'labforge');
}
