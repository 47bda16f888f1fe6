//! Counted nouns in what portflow prints: "1 number", "2 numbers", "0 days".

use std::fmt::Display;

/// The noun that agrees with `n`: `one` for exactly 1, `many` otherwise (0 included).
pub fn noun<'a>(n: impl Display, one: &'a str, many: &'a str) -> &'a str {
    // Any integer type prints as "1" for one; a float such as 1.5 takes the plural.
    if n.to_string() == "1" { one } else { many }
}

/// `n` and the noun that agrees with it: `count(1, "day", "days")` is "1 day".
pub fn count(n: impl Display + Copy, one: &str, many: &str) -> String {
    format!("{n} {}", noun(n, one, many))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(1usize, "number", "numbers"), "1 number");
        assert_eq!(count(0u32, "number", "numbers"), "0 numbers");
        assert_eq!(count(2i64, "day", "days"), "2 days");
        assert_eq!(count(-1i64, "day", "days"), "-1 days");
        assert_eq!(count(1u64, "entry", "entries"), "1 entry");
        assert_eq!(noun(11, "port", "ports"), "ports");
    }
}
