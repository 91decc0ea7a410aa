//! A failed CLI command exits 1 and says on stderr where it was aimed: the
//! server it could not reach, the app and the kf account it was about. A
//! refusal by the control API keeps the server's own words (see `cli.rs`).

use crate::support::{cli, Kefu};

/// A loopback URL nothing listens on: a port the system handed out, freed.
fn nobody_listening() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("its address");
    format!("http://{addr}")
}

/// Commands against a server that is not there name it, and what they were about.
#[tokio::test]
async fn an_unreachable_server_is_named_with_the_app_and_the_account() {
    // Arrange
    let server = nobody_listening();

    // Act
    let shown = cli(&["app", "show", "--app", "wx123", "--server", &server]).await;
    let accept = cli(&["worker", "accept", "--app", "wx123", "a@kefu_demo", "--server", &server]).await;
    let clock = cli(&["clock", "--server", &server]).await;

    // Assert
    for (out, about) in [
        (&shown, "app wx123: "),
        (&accept, "app wx123, kf account a@kefu_demo: "),
        (&clock, ""),
    ] {
        assert_eq!((out.code, out.stdout.as_str()), (Some(1), ""), "{out:?}");
        let expected = format!("kefu: {about}cannot connect to {server} (is `kefu serve` running?): ");
        assert!(out.stderr.starts_with(&expected), "{expected}\n{out:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    }
}

/// `token` with a wrong secret names the app and WeChat's errcode, and
/// never prints the secret, not even inside a URL.
#[tokio::test]
async fn a_refused_token_names_the_app_and_hides_the_secret() {
    // Arrange
    let kefu = Kefu::start();
    let secret = "not-the-secret-0123456789";
    let gone = nobody_listening();

    // Act
    let refused = kefu
        .cli(&["token", "--app", &kefu.demo.appid, "--secret", secret])
        .await;
    let unreachable = cli(&["token", "--app", "wx123", "--secret", secret, "--server", &gone]).await;

    // Assert
    assert_eq!((refused.code, refused.stdout.as_str()), (Some(1), ""), "{refused:?}");
    let expected = format!("kefu: app {}: api error 40125", kefu.demo.appid);
    assert!(refused.stderr.starts_with(&expected), "{refused:?}");
    assert_eq!(unreachable.code, Some(1), "{unreachable:?}");
    assert!(unreachable.stderr.contains("secret=redacted"), "{unreachable:?}");
    for out in [&refused, &unreachable] {
        assert!(!out.stderr.contains(secret), "{out:?}");
    }
}

/// `wechat-user` says what it does: without `--exists true|false` it is a
/// usage error (exit 2), never a silent "this user does not exist".
#[tokio::test]
async fn wechat_user_needs_exists_spelled_out() {
    let out = cli(&["wechat-user", "someone", "--server", &nobody_listening()]).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("--exists <EXISTS>"), "{out:?}");
}

/// `--server` (and the other global options) work before the command as
/// well as after it.
#[tokio::test]
async fn global_options_go_before_or_after_the_command() {
    let server = nobody_listening();
    let before = cli(&["--server", &server, "clock"]).await;
    let after = cli(&["clock", "--server", &server]).await;
    for out in [&before, &after] {
        assert_eq!(out.code, Some(1), "{out:?}");
        let expected = format!("kefu: cannot connect to {server} (is `kefu serve` running?): ");
        assert!(out.stderr.starts_with(&expected), "{out:?}");
    }
}

/// The commands `kefu --help` (or `kefu COMMAND --help`) lists.
async fn commands_of(path: &[&str]) -> Vec<String> {
    let mut args = path.to_vec();
    args.push("--help");
    let help = cli(&args).await.stdout;
    let listed = help.split("Commands:\n").nth(1).unwrap_or("");
    let section = listed.split("\n\n").next().unwrap_or("");
    section
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// An example's words, `"…"` kept together.
fn words(example: &str) -> Vec<String> {
    let (mut out, mut word, mut quoted) = (Vec::new(), String::new(), false);
    for c in example.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => out.extend((!word.is_empty()).then(|| std::mem::take(&mut word))),
            _ => word.push(c),
        }
    }
    out.extend((!word.is_empty()).then_some(word));
    out
}

/// Every client command's `--help` ends with an example, and the example
/// is a command line kefu accepts: run against a server that is not there,
/// it fails to connect (exit 1), never on its arguments (exit 2).
#[tokio::test]
async fn every_commands_example_is_accepted() {
    let server = nobody_listening();
    // These start or wait for things rather than call a server.
    let local = ["serve", "migrate", "ca", "listen"];
    let mut checked = 0;
    for top in commands_of(&[]).await {
        let subs = commands_of(&[&top]).await;
        let paths: Vec<Vec<String>> = match subs.is_empty() {
            true => vec![vec![top.clone()]],
            false => subs.into_iter().map(|s| vec![top.clone(), s]).collect(),
        };
        for path in paths {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push("--help");
            let help = cli(&args).await.stdout;
            let example = help
                .split("Example:\n  ")
                .nth(1)
                .map(|e| e.lines().next().unwrap_or("").to_owned());
            let example = example.unwrap_or_else(|| panic!("kefu {path:?} --help has no example:\n{help}"));
            if local.contains(&top.as_str()) || example.contains("&&") {
                continue;
            }
            let mut run = words(&example);
            assert_eq!(run.remove(0), "kefu", "{example}");
            run.extend(["--server".to_owned(), server.clone()]);
            let run: Vec<&str> = run.iter().map(String::as_str).collect();
            let out = cli(&run).await;
            assert_eq!(out.code, Some(1), "`{example}` was not accepted: {out:?}");
            // It got as far as the server (or, for `import`, its file).
            let reached = out.stderr.contains("cannot connect to") || out.stderr.contains("cannot read");
            assert!(reached, "`{example}`: {out:?}");
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} examples ran");
}
