/**
 * A performance shim for @xmldom/xmldom 0.9: its SAX parser builds a new
 * RegExp (through `grammar.reg`, from a long Unicode QName pattern) for
 * every end tag it reads, which made regex construction one of the largest
 * costs of parsing a SOAP message. The patterns depend only on the
 * arguments — the grammar's own RegExp objects and short literal strings —
 * so the compiled RegExp is kept per argument list and handed out again.
 * Only stateless RegExps (no `g`/`y` flag, so `exec` keeps no position) are
 * shared. Parsing behaves exactly as before; only the waste goes.
 *
 * Applied once, on import, by src/soap/xml.ts (the project's only parser).
 */
import { createRequire } from 'node:module';

type Part = string | RegExp;
type RegFn = (this: unknown, ...parts: Part[]) => RegExp;

const require = createRequire(import.meta.url);

/** Whether the shim is in place (false if a future xmldom no longer has `grammar.reg`). */
export let xmldomRegexShared = false;

function shareRegexes(): void {
  let grammar: { reg?: unknown };
  try {
    grammar = require('@xmldom/xmldom/lib/grammar.js') as { reg?: unknown };
  } catch {
    return; // another layout: parse unpatched
  }
  if (typeof grammar.reg !== 'function' || (grammar.reg as { shared?: boolean }).shared) return;
  const original = grammar.reg as RegFn;
  const ids = new WeakMap<RegExp, number>();
  let nextId = 0;
  const idOf = (r: RegExp): number => {
    let id = ids.get(r);
    if (id === undefined) ids.set(r, (id = nextId++));
    return id;
  };
  const built = new Map<string, RegExp>();
  const shared: RegFn = function (this: unknown, ...parts: Part[]): RegExp {
    const key = parts.map((p) => (typeof p === 'string' ? `s${p}` : `r${idOf(p)}`)).join('\u0000');
    const hit = built.get(key);
    if (hit) return hit;
    const re = original.apply(this, parts);
    if (!re.global && !re.sticky && built.size < 256) built.set(key, re);
    return re;
  };
  Object.assign(shared, { shared: true });
  grammar.reg = shared;
  xmldomRegexShared = true;
}

shareRegexes();
