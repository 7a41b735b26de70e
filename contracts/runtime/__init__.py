"""How messages are carried: the protocol every service follows, kept in one place.

- `rejection`: a refused message goes to the service's dead-letter topic with the reason and
  the original bytes, and the sender gets `MessageRejected` on the reply topic.
- `intake`: decode, hand to a pure handler, send what it returns, or reject — the body of
  every Kafka agent.
- `projection`: read-model writers that store the consumed offsets in the same PostgreSQL
  transaction as their rows (exactly-once effects across crashes).
- `faust_app`: the faust configuration every service uses.

It lives under `contracts/` because services may share contracts and nothing else; this is
the part of the contract that says how a message travels, not what any service decides.
"""
