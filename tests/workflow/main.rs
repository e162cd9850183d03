//! Stories through the real binary: temporary workspaces, real git, real
//! signatures, a fixed clock. One test binary (fast to link) with a module per topic.

#[path = "../common/mod.rs"]
mod common;

mod check;
mod clones;
mod forms;
mod gateways;
mod keys;
mod lifecycle;
mod lists;
mod notify;
mod preview;
mod refusals;
#[path = "../support/mod.rs"]
mod support;
mod tamper;
mod wording;

mod bench_generator;
mod send;
mod settings;
mod verify_fast;
