// Parts of the orchestrator that end-to-end tests elsewhere drive directly (the credit ledger,
// raced against itself). Not for service code: services talk over NATS.
export { applyCredit } from './credits/credit-ledger.ts';
