// Links and addresses the proxy manages: the kube-ipvs0 dummy link and the /32 and /128 service
// addresses bound to it, plus a read of every local address of the node.
import type { IpFamily } from '../../net/address.js';

export const KUBE_IPVS0 = 'kube-ipvs0';

export interface LocalAddress {
  readonly address: string;
  readonly family: IpFamily;
  readonly prefixLength: number;
  /** name of the link that holds it */
  readonly link: string;
}

export interface Links {
  /** Create the dummy link if missing (left DOWN); fails if the name is taken by another kind. */
  ensureDummyLink(name: string): Promise<{ created: boolean }>;
  /** ENODEV if missing. */
  deleteLink(name: string): Promise<void>;
  /** Addresses (canonical text) on one link; ENODEV if the link is missing. */
  listAddresses(link: string): Promise<string[]>;
  /** Bind an address as /32 or /128; EEXIST if bound already. */
  addAddress(link: string, address: string): Promise<void>;
  /** EADDRNOTAVAIL if not bound. */
  deleteAddress(link: string, address: string): Promise<void>;
  /** Every address of every link, both families: one link dump and one address dump per family. */
  listLocalAddresses(): Promise<LocalAddress[]>;
  /**
   * The node's own addresses: those of every link but kube-ipvs0. An adapter may keep them
   * between calls while it knows that none changed (the proxy asks before every sync).
   */
  nodeAddresses(): Promise<LocalAddress[]>;
  close(): void;
}
