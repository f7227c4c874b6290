//! Limits on an order body: the server enforces them (`validation`), the page shows them, and
//! the OpenAPI document states them (`schema`), all from these constants.

pub const MAX_ITEMS: usize = 50;
pub const MAX_QTY: u32 = 99;
pub const MAX_USER_ID_LEN: usize = 64;
pub const MAX_SKU_LEN: usize = 32;
pub const MAX_BODY_BYTES: usize = 16 * 1024;
