// rtnetlink numbers (UAPI linux/rtnetlink.h) shared by the links adapter and the address monitor.
export const NETLINK_ROUTE = 0;
export const RTM = { NEWLINK: 16, DELLINK: 17, GETLINK: 18, NEWADDR: 20, DELADDR: 21, GETADDR: 22 } as const;
