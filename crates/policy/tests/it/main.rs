//! The policy engine's integration tests, one test binary: each module was a test target
//! of its own (`tests/<name>.rs`); `support` builds the cases they evaluate.

mod cn_miit_member;
mod cn_rmsv_2021;
mod content;
mod eu_cra_2024;
mod packs;
mod properties;
mod support;
