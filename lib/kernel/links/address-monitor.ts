// Whether the node's own addresses may have changed since they were last read: a NETLINK_ROUTE
// socket in the link and address multicast groups. Reading every address costs a dump of every
// service address on kube-ipvs0 too (tens of thousands), so the proxy reads them only when this
// says so. Changes on kube-ipvs0 (our own binds) are ignored; a lost notification (receive
// buffer overrun) counts as a change.
import { createNetlink, type NetlinkMessage, type NetlinkSocket } from 'netlink';
import { NETLINK_ROUTE, RTM } from './rtnetlink.js';

const RTNLGRP = { LINK: 1, IPV4_IFADDR: 5, IPV6_IFADDR: 9 } as const;

export class AddressMonitor {
  private socket: NetlinkSocket | undefined;
  /** bumped on every change that matters */
  generation = 0;

  /** @param ignored the link index whose changes do not matter (kube-ipvs0), if it exists */
  constructor(private readonly ignored: () => number | undefined) {}

  /** Join the groups; false when the socket cannot be had (every read is then a fresh one). */
  start(): boolean {
    if (this.socket) return true;
    try {
      const s = createNetlink(NETLINK_ROUTE, { recvBufferSize: 4 << 20, sendBufferSize: 1 << 16 });
      for (const g of Object.values(RTNLGRP)) s.addMembership(g);
      s.on('message', (m: NetlinkMessage | NetlinkMessage[]) => { for (const msg of Array.isArray(m) ? m : [m]) this.seen(msg); });
      const lost = () => { this.generation++; };
      s.on('error', lost);
      s.socket.on('error', lost);
      s.on('invalid', lost);
      s.unref();
      this.socket = s;
      return true;
    } catch {
      return false;
    }
  }

  close(): void { this.socket?.close(); this.socket = undefined; }

  private seen(msg: NetlinkMessage): void {
    const t = msg.type;
    if (t !== RTM.NEWADDR && t !== RTM.DELADDR && t !== RTM.NEWLINK && t !== RTM.DELLINK) return;
    // ifaddrmsg and ifinfomsg both hold the link index at offset 4
    const index = msg.data.length >= 8 ? msg.data.readInt32LE(4) : -1;
    if (index !== this.ignored()) this.generation++;
  }
}
