/**
 * ProProfs hands out a long numeric id string per subscription (`"897236485762347563485"`).
 * Herald's subscription id is a UUID; its 128 bits written in decimal are such an id, unique
 * and reversible, so no second id has to be stored.
 */
export function proprofsHookIdOf(subscriptionId: string): string {
  const hex = subscriptionId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${subscriptionId}`);
  return BigInt(`0x${hex}`).toString(10);
}

/** The subscription id a ProProfs hook id stands for, or null when it cannot be one. */
export function subscriptionIdOf(hookId: string): string | null {
  if (!/^\d{1,39}$/.test(hookId)) return null;
  const n = BigInt(hookId);
  if (n >= 1n << 128n) return null;
  const hex = n.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
