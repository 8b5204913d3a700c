//! Loopback ports for the devnet's processes, held open until the process that will
//! listen on one is about to start, so no two parts (nor an outgoing connection) get the
//! same port in the meantime.

use std::{collections::HashMap, net::TcpListener};

use eyre::WrapErr;

/// Ports reserved on 127.0.0.1.
#[derive(Debug, Default)]
pub(crate) struct Ports {
    held: HashMap<u16, TcpListener>,
}

impl Ports {
    /// Reserves a free port; returns `127.0.0.1:<port>`.
    pub(crate) fn reserve(&mut self) -> eyre::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0").wrap_err("reserving a loopback port")?;
        let port = listener.local_addr()?.port();
        self.held.insert(port, listener);
        Ok(format!("127.0.0.1:{port}"))
    }

    /// Lets go of the ports in `addrs` (`127.0.0.1:<port>`), right before their process
    /// binds them.
    pub(crate) fn release(&mut self, addrs: &[&str]) {
        for addr in addrs {
            if let Some(port) = addr.rsplit(':').next().and_then(|p| p.parse().ok()) {
                self.held.remove(&port);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_ports_differ_and_are_held_until_released() {
        let mut ports = Ports::default();
        let a = ports.reserve().unwrap();
        let b = ports.reserve().unwrap();
        assert_ne!(a, b);
        assert!(TcpListener::bind(&a).is_err(), "held while reserved");
        ports.release(&[&a]);
        assert!(TcpListener::bind(&a).is_ok(), "free once released");
        assert!(TcpListener::bind(&b).is_err());
    }
}
