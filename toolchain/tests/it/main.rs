//! Starts the real tools and talks to them over loopback.

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use baton_toolchain::{Anvil, AnvilOptions, Headless, Redis, Tool, locate};

fn exchange(addr: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn every_npm_tool_is_installed() {
    for tool in [Tool::Forge, Tool::Anvil, Tool::Cast, Tool::EthereumJs] {
        let path = locate(tool).unwrap_or_else(|e| panic!("{e}"));
        assert!(path.is_file(), "{tool}: {}", path.display());
    }
}

#[test]
fn redis_answers_ping_and_stops_on_drop() {
    let redis = Redis::spawn().unwrap_or_else(|e| panic!("{e}"));
    let addr = redis.url().trim_start_matches("redis://").to_owned();
    assert_eq!(exchange(&addr, b"PING\r\n"), "+PONG\r\n");
    assert_eq!(
        exchange(&addr, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
        "+OK\r\n"
    );
    assert_eq!(
        exchange(&addr, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
        "$1\r\nv\r\n"
    );
    drop(redis);
    assert!(
        TcpStream::connect(&addr).is_err(),
        "redis still listening after drop"
    );
}

#[test]
fn redis_restarts_empty_on_the_same_port() {
    let redis = Redis::spawn().unwrap_or_else(|e| panic!("{e}"));
    let (port, addr) = (
        redis.port(),
        redis.url().trim_start_matches("redis://").to_owned(),
    );
    assert_eq!(
        exchange(&addr, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
        "+OK\r\n"
    );
    drop(redis);
    let restarted = Redis::spawn_on_port(port).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(restarted.url(), format!("redis://{addr}"));
    assert_eq!(
        exchange(&addr, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
        "$-1\r\n",
        "nothing persisted across the restart"
    );
}

#[test]
fn anvil_serves_json_rpc_with_the_requested_chain_id() {
    let anvil = Anvil::spawn(&AnvilOptions {
        chain_id: 4_242,
        ..AnvilOptions::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let addr = format!("127.0.0.1:{}", anvil.port());
    let response = exchange(&addr, request.as_bytes());
    assert!(response.contains(r#""result":"0x1092""#), "{response}");
}

#[test]
fn headless_chromium_runs_scripts_and_takes_screenshots() {
    let chromium = Headless::locate().unwrap_or_else(|e| panic!("{e}"));
    let dir = std::env::temp_dir().join(format!("baton-headless-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("page.html");
    std::fs::write(
        &page,
        "<html><body><p id=\"out\">static</p><script>setTimeout(() => { \
         document.getElementById('out').textContent = 'script ran ' + (6 * 7); }, 500);\
         </script></body></html>",
    )
    .unwrap();
    let url = format!("file://{}", page.display());
    let dom = chromium.dump_dom(&url).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        dom.contains(r#"<p id="out">script ran 42</p>"#),
        "the timer ran in virtual time: {dom}"
    );
    let png = dir.join("page.png");
    chromium
        .screenshot(&url, &png)
        .unwrap_or_else(|e| panic!("{e}"));
    let bytes = std::fs::read(&png).unwrap();
    // IHDR: width and height, big-endian, right after the signature and chunk header.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert_eq!(width, chromium.window.0);
    std::fs::remove_dir_all(dir).unwrap();
}
