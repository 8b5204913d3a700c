//! Baton's own binaries, for the devnet and for tests that run them as separate processes.

use std::{env, path::PathBuf};

/// A workspace binary that has not been built.
#[derive(Debug, thiserror::Error)]
#[error("{} is not built: run `cargo build --workspace --bins` first (./scripts/test and ./scripts/devnet do)", path.display())]
pub struct MissingBinary {
    /// Where it was looked for.
    pub path: PathBuf,
}

/// The folder Baton's binaries are in: `BATON_BIN_DIR`, else the running executable's
/// folder (`target/<profile>/`; a test binary's `target/<profile>/deps/` resolves to its
/// parent).
pub fn workspace_bin_dir() -> PathBuf {
    if let Some(dir) = env::var_os("BATON_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(PathBuf::from).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.parent().map(PathBuf::from).unwrap_or(dir)
    } else {
        dir
    }
}

/// Baton binary `name` (`baton-relay`, `baton-sidecar`, …) of the current build.
pub fn workspace_binary(name: &str) -> Result<PathBuf, MissingBinary> {
    let path = workspace_bin_dir().join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(MissingBinary { path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_binary_finds_the_profile_folder_and_names_the_build_command() {
        let dir = workspace_bin_dir();
        assert!(!dir.ends_with("deps"), "{}", dir.display());
        let err = workspace_binary("baton-no-such-binary").unwrap_err();
        assert_eq!(err.path, dir.join("baton-no-such-binary"));
        assert!(err.to_string().contains("cargo build --workspace --bins"));
    }
}
