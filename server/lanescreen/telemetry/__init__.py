"""What operators see of a running node: metrics, traces and logs (docs/operations.md).

These adapters read the domain's values (a decision, its timings and reasons); the domain never
imports them."""
