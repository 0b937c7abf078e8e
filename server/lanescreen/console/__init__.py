"""The web console for officers, supervisors and auditors (docs/console.md)."""
