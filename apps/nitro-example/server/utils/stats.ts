/** What the handlers saw, for GET /stats. */
export const stats = { sold: 0, soldByCurrency: {} as Record<string, number>, saleEvents: 0, events: 0 }
