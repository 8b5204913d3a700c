//! `baton-relay-loadgen`: the relay load generator (being written).

fn main() {}
