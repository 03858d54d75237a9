// Generic netlink: the family lookup and the genlmsghdr that starts every message.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NetlinkChannel } from './channel.js';
import { parseAttributes, str } from './attributes.js';
import { KernelError, isKernelError } from '../errors.js';

export const NETLINK_GENERIC = 16;
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;

export function genlHeader(cmd: number, version: number): Buffer {
  return Buffer.from([cmd, version, 0, 0]);
}

/** The payload of a generic netlink message after its 4-byte header. */
export const genlPayload = (data: Buffer): Buffer => data.subarray(4);

export async function resolveFamily(channel: NetlinkChannel, name: string): Promise<number> {
  const msgs = await channel.query(GENL_ID_CTRL, [genlHeader(CTRL_CMD_GETFAMILY, 1), str(CTRL_ATTR_FAMILY_NAME, name)], {
    operation: 'resolve generic netlink family', object: name,
  });
  const id = msgs.length > 0 ? parseAttributes(genlPayload(msgs[0]!.data)).get(CTRL_ATTR_FAMILY_ID) : undefined;
  if (!id) throw new KernelError('ENOENT', 'resolve generic netlink family', name, 'no family id in the answer');
  return id.readUInt16LE(0);
}

/** Resolve a family; if absent, load its module once with modprobe and try again. */
export async function resolveFamilyLoading(channel: NetlinkChannel, name: string, module: string): Promise<number> {
  try {
    return await resolveFamily(channel, name);
  } catch (e) {
    if (!isKernelError(e, 'ENOENT')) throw e;
  }
  let why = '';
  try {
    await promisify(execFile)('modprobe', [module], { timeout: 30_000 });
  } catch (e) {
    why = `; modprobe ${module} failed: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim()}`;
  }
  try {
    return await resolveFamily(channel, name);
  } catch (e) {
    if (!isKernelError(e, 'ENOENT')) throw e;
    throw new KernelError('ENOENT', 'resolve generic netlink family', name,
      `the ${module} kernel module is missing or cannot be loaded${why}`);
  }
}
