//! What the operating system allows this process: the open-files limit,
//! which bounds how many connections kefu may hold.

/// The soft limit on open files, when the system says (Linux's
/// `/proc/self/limits`); `None` when unknown or unlimited.
pub(crate) fn open_files() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    soft_open_files(&limits)
}

fn soft_open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_read_and_unlimited_is_none() {
        let table = "Limit                     Soft Limit           Hard Limit           Units\n\
                     Max processes             1000                 1000                 processes\n\
                     Max open files            1024                 524288               files\n";
        assert_eq!(soft_open_files(table), Some(1024));
        assert_eq!(soft_open_files("Max open files  unlimited  unlimited  files"), None);
        assert_eq!(soft_open_files(""), None);
    }
}
