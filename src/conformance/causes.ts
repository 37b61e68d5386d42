/**
 * Root causes of failures, in plain language. A failing property's error message is matched
 * against these patterns (first match wins); failures of one subject with the same cause are
 * reported as one block, whichever properties found them.
 */
const CAUSES: readonly (readonly [RegExp, string])[] = [
  [/per-call budget/, 'a policy call ran past its time budget'],
  [/hung in |did not return within/, 'a policy call never returned (hang)'],
  [/wrote to its read-only view/, 'the policy wrote to the view it was given'],
  [/inconsistent view/, 'the view was inconsistent (something wrote to it)'],
  [/keeps state across calls/, 'state kept across calls (a cache or counter outlives one call)'],
  [/two calls .*disagree/, 'two calls on the same view disagree (not a pure function)'],
  [/lazyOrder .*yields .*(where order returns|another order than order)/, 'lazyOrder yields another order than order'],
  [/logs differ/, 'the same case gives different event logs (non-deterministic)'],
  [/order contract: each queued job at most once/, 'the order lists a job twice'],
  [/order contract: a subset of the queue|which is not a queued job/, 'the order returns a job that is not queued'],
  [/twice in one victims\(\) call/, 'a victim named twice in one call'],
  [/named job \S+, which is not running/, 'a victim that is not running'],
  [/spanning nodes while gang\.spanNodes is off/, 'a gang spread over nodes while spanning is off'],
  [/placement the cluster refuses|AllocationError/, 'a placement the cluster refuses (over-commit or invalid grant)'],
  [/declared unfit/, "the policy answered 'unfit' while a node fits"],
  [/which is down|is down/, 'a job placed on a down node'],
  [/fits on idle capacity/, 'a queued job that fits was left waiting (not work-conserving)'],
  [/of the GPU time between/, 'GPU shares do not follow the tenant weights'],
  [/waited; \S+ fitted on/, 'a lower-priority job started while a higher-priority one fitted'],
  [/which is not higher|names no job it makes room for/, 'preempted a job without a higher-priority job to make room for'],
  [/dominant share/, 'the order does not follow dominant shares (DRF)'],
  [/never ended/, 'a job never ended (left out of every order, or stuck)'],
  [/ threw in |^(TypeError|RangeError|ReferenceError|SyntaxError|Error): /, 'the policy threw an exception'],
  [/ returned .* from .*; expected/, 'the policy returned a malformed answer'],
];

/** The plain-language cause of a failure message (its first line, ids and numbers masked, if none matches). */
export function causeOf(error: string): string {
  for (const [re, name] of CAUSES) if (re.test(error)) return name;
  return error.split('\n')[0].replace(/\b[jn]\d+\b/g, '…').replace(/\d+(\.\d+)?/g, 'N').slice(0, 120);
}

/**
 * Report order of causes: the list above runs from the most fundamental (a hang, a write to the
 * view, state kept across calls) to what usually follows from them (jobs never ending).
 */
export function causeRank(cause: string): number {
  const i = CAUSES.findIndex(([, name]) => name === cause);
  return i < 0 ? CAUSES.length : i;
}
