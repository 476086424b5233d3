"""The leads use cases by job, each taking ports (`listflow.leads.ports`), never adapters:
`rows` (upload rows into lists), `queue` (entries, releases, withdrawals and the list switches
that feed them), `outcomes` (dial outcomes), `dnc` (do-not-call). Operators' edits of lists
and campaigns are `listflow.leads.manage`."""
