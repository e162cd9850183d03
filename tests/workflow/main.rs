//! Stories through the real binary: temporary workspaces, real git, real
//! signatures, a fixed clock. One test binary (fast to link) with a module per topic.

#[path = "../common/mod.rs"]
mod common;

mod check;
mod clones;
mod forms;
mod keys;
mod lifecycle;
mod notify;
mod preview;
mod refusals;
#[path = "../support/mod.rs"]
mod support;
mod tamper;

mod bench_generator;
mod send;
mod verify_fast;
