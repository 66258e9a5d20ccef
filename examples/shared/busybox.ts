// A container root filesystem made of one static busybox binary, for the container examples.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { which } from './system.ts';

const INSTALL = 'apt-get install -y busybox-static';

// True when the ELF file has a PT_INTERP program header, i.e. needs a dynamic loader.
function isDynamic(file: string): boolean {
  const elf = readFileSync(file);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) throw new Error(`${file} is not a 64-bit ELF file`);
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let index = 0; index < phnum; index++) {
    if (elf.readUInt32LE(phoff + index * phentsize) === 3) return true;
  }
  return false;
}

/** The static busybox of this machine; throws, saying what to install, when there is none. */
export function staticBusybox(): string {
  const file = which('busybox');
  if (!file) throw new Error(`busybox is not installed: ${INSTALL}`);
  if (isDynamic(file)) throw new Error(`${file} is linked dynamically and cannot run alone in a container: ${INSTALL}`);
  return file;
}

/**
 * Writes a minimal root filesystem to `dir`: busybox with a link per applet in /bin, the empty
 * mount points a runtime expects, and `/www/index.html` with `page` for busybox httpd.
 */
export async function writeBusyboxRootfs(dir: string, page: string): Promise<void> {
  const busybox = staticBusybox();
  for (const sub of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'www', 'root']) await mkdir(path.join(dir, sub), { recursive: true });
  await copyFile(busybox, path.join(dir, 'bin/busybox'));
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((name) => name !== '' && name !== 'busybox');
  for (const applet of applets) await symlink('busybox', path.join(dir, 'bin', applet));
  await writeFile(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(path.join(dir, 'etc/group'), 'root:x:0:\n');
  await writeFile(path.join(dir, 'www/index.html'), `${page}\n`);
}
