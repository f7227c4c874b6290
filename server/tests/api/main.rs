//! API tests against the real server and a real SQLite file. One binary, many modules,
//! so the release build links once.

mod helpers;

mod concurrency;
mod contract;
mod crash;
mod events;
mod expiry;
mod faults;
mod hostile;
mod keys;
mod lifecycle;
mod operations;
mod pages;
mod postgres_tls;
mod prepare;
mod shutdown;
mod storage;
mod two_processes;
mod validation;
