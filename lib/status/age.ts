// Nodepool's age(): time since a Unix timestamp as DD:HH:MM:SS with Python's float divmod and
// '%02d' (truncation, sign kept), so clock skew shows the same odd values Nodepool shows.
function divmod(a: number, b: number): [number, number] {
  const q = Math.floor(a / b);
  return [q, a - q * b];
}

function pad2(x: number): string {
  const i = Math.trunc(x) || 0; // -0 → 0
  return i < 0 ? String(i) : String(i).padStart(2, '0');
}

export function formatAge(timestamp: number, now: number = Date.now() / 1000): string {
  const [m0, s] = divmod(now - timestamp, 60);
  const [h0, m] = divmod(m0, 60);
  const [d, h] = divmod(h0, 24);
  return `${pad2(d)}:${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}

export const nowSeconds = (): number => Date.now() / 1000;
