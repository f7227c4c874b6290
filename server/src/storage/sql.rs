//! `sql!`: one SQL text made at compile time from constant pieces (a column list, a clause
//! two statements share), so every statement can be a named `&'static str`. `concat!` takes
//! only literals; this takes constants too.

/// The length of `parts` joined.
pub(crate) const fn joined_len(parts: &[&str]) -> usize {
    let mut len = 0;
    let mut part = 0;
    while part < parts.len() {
        len += parts[part].len();
        part += 1;
    }
    len
}

/// `parts` joined, as the `N` bytes `joined_len` counted.
pub(crate) const fn join<const N: usize>(parts: &[&str]) -> [u8; N] {
    let mut joined = [0; N];
    let mut at = 0;
    let mut part = 0;
    while part < parts.len() {
        let bytes = parts[part].as_bytes();
        let mut byte = 0;
        while byte < bytes.len() {
            joined[at] = bytes[byte];
            at += 1;
            byte += 1;
        }
        part += 1;
    }
    joined
}

/// `sql!(A, " WHERE ", B)`: the pieces (string literals or `&str` constants) joined into one
/// `&'static str`, at compile time.
macro_rules! sql {
    ($($part:expr),+ $(,)?) => {{
        const PARTS: &[&str] = &[$($part),+];
        const BYTES: [u8; $crate::storage::sql::joined_len(PARTS)] =
            $crate::storage::sql::join(PARTS);
        match ::std::str::from_utf8(&BYTES) {
            Ok(text) => text,
            Err(_) => panic!("pieces of str join into a str"),
        }
    }};
}
pub(crate) use sql;

#[cfg(test)]
mod tests {
    const TABLE: &str = "orders";

    #[test]
    fn pieces_join_in_order() {
        const SELECT: &str = sql!("SELECT id FROM ", TABLE, " WHERE id = ?1");
        assert_eq!(SELECT, "SELECT id FROM orders WHERE id = ?1");
        assert_eq!(sql!("", TABLE, "é"), "ordersé");
    }
}
