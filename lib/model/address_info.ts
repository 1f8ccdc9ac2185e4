/** What enrichment knows about an address. Absent fields are not looked up; `null` means looked up, nothing found. */
export interface AddressInfo {
  hostname?: string | null;
  /** The last name a DNS answer gave this address for (`--sniff-dns`); labels prefer it to `hostname`. */
  domain?: string | null;
  country?: string | null;
  asn?: number | null;
  as_org?: string | null;
}

/** Answers at once from what is known; never waits for the network. */
export type DescribeAddress = (ip: string) => AddressInfo;

/** A describer that knows nothing, for runs without enrichment. */
export const describeNothing: DescribeAddress = () => ({});
