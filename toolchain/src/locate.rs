//! Where each external tool lives, and what to tell the user when it does not.

use std::{
    env, fmt,
    path::{Path, PathBuf},
};

/// An external program Baton runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    /// Foundry's `forge` (npm `@foundry-rs/forge`).
    Forge,
    /// Foundry's `anvil` (npm `@foundry-rs/anvil`).
    Anvil,
    /// Foundry's `cast` (npm `@foundry-rs/cast`).
    Cast,
    /// The ethereumjs execution client (npm `@ethereumjs/client`).
    EthereumJs,
    /// `redis-server` (Debian package `redis-server`).
    RedisServer,
    /// Headless Chromium for the explorer page's browser test (Debian package `chromium`).
    Chromium,
}

impl Tool {
    /// Every tool, in a stable order.
    pub const ALL: [Self; 6] = [
        Self::Forge,
        Self::Anvil,
        Self::Cast,
        Self::EthereumJs,
        Self::RedisServer,
        Self::Chromium,
    ];

    /// The executable's file name.
    pub const fn binary(self) -> &'static str {
        match self {
            Self::Forge => "forge",
            Self::Anvil => "anvil",
            Self::Cast => "cast",
            Self::EthereumJs => "ethereumjs",
            Self::RedisServer => "redis-server",
            Self::Chromium => "chromium",
        }
    }

    /// The exact command that installs the tool on a Debian machine.
    pub const fn install_hint(self) -> &'static str {
        match self {
            Self::Forge | Self::Anvil | Self::Cast | Self::EthereumJs => {
                "run `npm install` in the repository root (versions pinned by package-lock.json)"
            }
            Self::RedisServer => "run `apt-get update && apt-get install -y redis-server`",
            Self::Chromium => "run `apt-get update && apt-get install -y chromium`",
        }
    }

    /// Whether the tool comes from the repository's npm packages.
    const fn ships_with_npm(self) -> bool {
        !matches!(self, Self::RedisServer | Self::Chromium)
    }

    /// Where Debian installs the tool, tried before `PATH`.
    const fn system_path(self) -> Option<&'static str> {
        match self {
            Self::Chromium => Some("/usr/bin/chromium"),
            _ => None,
        }
    }

    /// Paths under `node_modules/` to try, most direct first. Foundry's npm packages
    /// ship the native binary in a per-platform package; running it directly (not the
    /// node wrapper in `.bin/`) means killing the process really stops the tool.
    fn npm_candidates(self, node_modules: &Path) -> Vec<PathBuf> {
        let mut candidates = Vec::with_capacity(2);
        if matches!(self, Self::Forge | Self::Anvil | Self::Cast) {
            let arch = match env::consts::ARCH {
                "x86_64" => "amd64",
                "aarch64" => "arm64",
                other => other,
            };
            let name = self.binary();
            candidates.push(
                node_modules
                    .join("@foundry-rs")
                    .join(format!("{name}-{}-{arch}", env::consts::OS))
                    .join("bin")
                    .join(name),
            );
        }
        candidates.push(node_modules.join(".bin").join(self.binary()));
        candidates
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.binary())
    }
}

/// A tool could not be found.
#[derive(Debug, thiserror::Error)]
#[error("`{tool}` not found (looked in {searched}); to install it, {hint}", searched = display_paths(searched), hint = tool.install_hint())]
pub struct ToolError {
    /// The missing tool.
    pub tool: Tool,
    /// Every place that was searched.
    pub searched: Vec<PathBuf>,
}

fn display_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

/// The repository root: `BATON_ROOT` if set, else the nearest ancestor of the current
/// directory (then of this crate's source folder) holding both `Cargo.toml` and
/// `package.json`.
pub fn repository_root() -> Option<PathBuf> {
    if let Some(root) = env::var_os("BATON_ROOT") {
        return Some(PathBuf::from(root));
    }
    let is_root =
        |dir: &Path| dir.join("Cargo.toml").is_file() && dir.join("package.json").is_file();
    let from_cwd = env::current_dir().ok();
    let from_source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf);
    [from_cwd, from_source]
        .into_iter()
        .flatten()
        .find_map(|start| {
            start
                .ancestors()
                .find(|dir| is_root(dir))
                .map(Path::to_path_buf)
        })
}

/// Finds `tool`: a `BATON_<TOOL>` override (e.g. `BATON_ANVIL=/path/to/anvil`), then the
/// repository's `node_modules/` for npm tools (Debian's path for system tools), then `PATH`.
pub fn locate(tool: Tool) -> Result<PathBuf, ToolError> {
    let mut searched = Vec::new();
    let override_var = format!("BATON_{}", tool.binary().to_uppercase().replace('-', "_"));
    if let Some(path) = env::var_os(&override_var) {
        let path = PathBuf::from(path);
        if is_executable(&path) {
            return Ok(path);
        }
        searched.push(path);
    }
    if tool.ships_with_npm()
        && let Some(root) = repository_root()
    {
        for candidate in tool.npm_candidates(&root.join("node_modules")) {
            if is_executable(&candidate) {
                return Ok(candidate);
            }
            searched.push(candidate);
        }
    }
    if let Some(system) = tool.system_path() {
        let candidate = PathBuf::from(system);
        if is_executable(&candidate) {
            return Ok(candidate);
        }
        searched.push(candidate);
    }
    if let Some(path) = env::var_os("PATH") {
        for dir in env::split_paths(&path) {
            let candidate = dir.join(tool.binary());
            if is_executable(&candidate) {
                return Ok(candidate);
            }
        }
        searched.push(PathBuf::from("$PATH"));
    }
    Err(ToolError { tool, searched })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hint_names_a_command() {
        for tool in Tool::ALL {
            let hint = tool.install_hint();
            assert!(
                hint.contains("npm install") || hint.contains("apt-get install"),
                "{tool}: {hint}"
            );
        }
    }

    #[test]
    fn missing_tool_error_names_the_install_command() {
        let err = ToolError {
            tool: Tool::RedisServer,
            searched: vec![PathBuf::from("$PATH")],
        };
        let text = err.to_string();
        assert!(text.contains("`redis-server` not found"), "{text}");
        assert!(text.contains("apt-get install -y redis-server"), "{text}");
    }

    #[test]
    fn npm_tools_prefer_the_native_binary() {
        let candidates = Tool::Anvil.npm_candidates(Path::new("/nm"));
        assert_eq!(candidates.len(), 2);
        assert!(
            candidates[0]
                .to_string_lossy()
                .contains("@foundry-rs/anvil-")
        );
        assert_eq!(candidates[1], Path::new("/nm/.bin/anvil"));
    }

    #[test]
    fn repository_root_holds_the_lock_file() {
        let root = repository_root().expect("tests run inside the repository");
        assert!(
            root.join("package-lock.json").is_file(),
            "{}",
            root.display()
        );
    }
}
