import { Badge } from '@mantine/core';
import type { UploadStatus } from '../types';

const LOOK: Record<UploadStatus, { color: string; label: string }> = {
  uploaded: { color: 'gray', label: 'Waiting' },
  importing: { color: 'blue', label: 'Importing' },
  completed: { color: 'green', label: 'Completed' },
  cancelled: { color: 'orange', label: 'Cancelled' },
  failed: { color: 'red', label: 'Failed' },
};

export function StatusBadge({ status }: { status: UploadStatus }) {
  const look = LOOK[status] ?? { color: 'gray', label: status };
  // Dark text on a light tint keeps AA contrast for every colour; a narrow table column
  // gives the badge room for its whole word rather than cutting it.
  return (
    <Badge color={look.color} variant="light" tt="none" data-status={status} style={{ minWidth: 'max-content' }}>
      {look.label}
    </Badge>
  );
}
