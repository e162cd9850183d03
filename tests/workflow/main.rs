//! Stories through the real binary: temporary workspaces, real git, real
//! signatures, a fixed clock. One test binary (fast to link) with a module per topic.

#[path = "../common/mod.rs"]
mod common;

mod bench_generator;
mod lifecycle;
mod verify_fast;
