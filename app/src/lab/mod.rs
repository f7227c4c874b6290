//! The learner's side of the protocol: one operation, its key, its attempts — no views.
//!
//! An operation is what the learner meant ("order these items once"); an attempt is one HTTP
//! request for it. The operation — key, body, attempts — is saved before each request leaves
//! (in sessionStorage unless the learner picks another `KeyStore`), so a reload finds it and
//! carries on with the same key.
//!
//! - `settings.rs`: the switches; `preferences.rs`: the learner's, kept across visits;
//! - `attempt.rs`, `operation.rs`: an operation and its attempts, as plain data;
//! - `order.rs`: the order in progress, the handle the order panel's buttons call;
//! - `driver.rs`: the retry loop behind those buttons, `run.rs` its guard against stale loops;
//! - `retry.rs`: the careful client's policy, as a table;
//! - `keys.rs`: making and showing keys; `scenario.rs`: ready-made sets of switches.

pub mod attempt;
pub mod driver;
pub mod keys;
pub mod operation;
pub mod order;
pub mod preferences;
pub mod retry;
pub mod run;
pub mod scenario;
pub mod settings;
