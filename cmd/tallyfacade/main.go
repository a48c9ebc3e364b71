// Command tallyfacade is the REST/JSON façade in front of TallyPrime's XML
// gateway.
//
//	tallyfacade serve   # the service (TALLY_URL, TALLY_COMPANY, TALLYFACADE_API_KEYS, …)
//	tallyfacade demo    # the simulator's demo company and the service in one process
//	tallyfacade check   # is Tally running, which product, is the configured company loaded?
//	tallyfacade migrate # apply the store's migrations
//	tallyfacade agent   # on the Tally PC: dial out to the façade and relay its requests to Tally
//	tallyfacade health  # is the service on this machine up? (the container's healthcheck)
//
// Settings come from flags and the environment (config.go); a flag wins over
// its variable. `tallyfacade <command> -h` lists a command's settings.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/agentlink"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tallyfacade:", err)
		os.Exit(1)
	}
}

// run is the whole program, so tests can call it with their own arguments,
// environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return newCLI(getenv, stdout, stderr, func(ctx context.Context, cmd string, cfg config) error {
		switch cmd {
		case "serve":
			return serve(ctx, cfg, stdout, stderr)
		case "demo":
			return demo(ctx, cfg, stdout, stderr)
		case "check":
			return check(ctx, cfg, stdout)
		case "agent":
			return agent(ctx, cfg, stderr)
		case "migrate":
			db, err := openStore(ctx, cfg, newLogger(cfg, stderr))
			if err != nil {
				return err
			}
			db.close()
			fmt.Fprintf(stdout, "migrated %s\n", db.name)
			return nil
		case "health":
			return health(ctx, cfg, stdout)
		}
		return fmt.Errorf("unknown command %q", cmd)
	}).Run(ctx, append([]string{"tallyfacade"}, args...))
}

// newCLI is the command line: each command with the settings it uses, whose
// values it hands to do once they are parsed and valid.
func newCLI(getenv func(string) string, stdout, stderr io.Writer, do func(ctx context.Context, cmd string, cfg config) error) *cli.Command {
	s := &settings{getenv: getenv}
	// A mistyped flag or value is reported as itself (main prints it), not
	// buried under the whole help text.
	usageError := func(_ context.Context, _ *cli.Command, err error, _ bool) error { return err }
	command := func(name, usage string, flags ...[]cli.Flag) *cli.Command {
		return &cli.Command{Name: name, Usage: usage, Flags: concat(flags...), OnUsageError: usageError,
			Action: func(ctx context.Context, c *cli.Command) error {
				if c.Args().Len() > 0 {
					return fmt.Errorf("unexpected arguments: %q", c.Args().Slice())
				}
				s.secrets()
				if err := s.cfg.validate(); err != nil {
					return err
				}
				return do(ctx, name, s.cfg)
			}}
	}
	return &cli.Command{
		Name:         "tallyfacade",
		Usage:        "a REST/JSON façade for TallyPrime",
		Version:      version(),
		Writer:       stdout,
		ErrWriter:    stderr,
		OnUsageError: usageError,
		// Errors go back to main, which exits 1; cli would exit the
		// process itself for some.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		Action: func(_ context.Context, c *cli.Command) error {
			if c.Args().Len() > 0 {
				return fmt.Errorf("unknown command %q: see tallyfacade -h", c.Args().First())
			}
			_ = cli.ShowRootCommandHelp(c)
			return errors.New("no command given")
		},
		Commands: []*cli.Command{
			command("serve", "run the service against the Tally at TALLY_URL",
				s.tallySettings(true), s.serviceSettings(true), s.storeSettings(), s.logSettings()),
			command("demo", "run the Tally simulator's demo company and the service in one process",
				s.tallySettings(false), s.serviceSettings(false), s.storeSettings(), s.logSettings()),
			command("check", "check that Tally answers and that the configured company is loaded",
				s.tallySettings(true)),
			command("migrate", "apply the store's migrations (serve and demo also do it at start-up)",
				s.storeSettings(), s.logSettings()),
			command("agent", "on the Tally PC: dial out to the façade at -server and relay its requests to the local Tally (no open port)",
				s.agentSettings(), s.logSettings()),
			command("health", "exit 0 when the service at -addr on this machine answers /healthz (a container's healthcheck)",
				s.listenSettings()),
		},
	}
}

func concat(groups ...[]cli.Flag) []cli.Flag {
	var all []cli.Flag
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// version is the module version and VCS revision the binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += " (modified)"
			}
		}
	}
	return v
}

func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	if len(cfg.APIKeys) == 0 && !cfg.InsecureNoAuth {
		return errors.New("no API keys: set TALLYFACADE_API_KEYS (comma-separated) or pass -api-keys; " +
			"to serve without authentication on a trusted network, pass -insecure-no-auth")
	}
	logger := newLogger(cfg, stderr)
	if cfg.InsecureNoAuth {
		logger.Warn("serving WITHOUT authentication: anyone who can reach this port can read and write the books")
	}
	if cfg.Company == "" {
		logger.Warn("TALLY_COMPANY is not set: requests go to whichever company is active in Tally")
	}
	st, err := build(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.db.close()
	if st.hub != nil {
		// Hijacked connections outlive the HTTP server's shutdown.
		defer st.hub.Close()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	bg, stop := context.WithCancel(ctx)
	wait := st.background(bg, cfg, logger)
	defer func() { stop(); wait() }()
	fmt.Fprintf(stdout, "tallyfacade listening on http://%s (Swagger UI at /swagger/index.html)\n", ln.Addr())
	logger.Info("tallyfacade started", "addr", ln.Addr().String(), "tally_url", cfg.TallyURL, "company", cfg.Company, "store", st.db.name,
		"agents", strings.Join(cfg.AgentTokens.Names(), ","))
	return serveHTTP(ctx, ln, st.handler(), logger)
}

// serveHTTP serves until ctx is done, then drains for up to 10 seconds.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// demo runs the simulator's demo company and the service in one process.
func demo(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	logger := newLogger(cfg, stderr)
	sim := tallysim.New(tallysim.Config{Logger: logger.With("component", "tallysim")})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer sim.Close()
	cfg.TallyURL = sim.URL()
	cfg.Company = tallysim.DemoCompanyName
	cfg.InsecureNoAuth = len(cfg.APIKeys) == 0
	if cfg.BankLedger == "" {
		cfg.BankLedger = "HDFC Bank" // the demo company's bank
	}
	if cfg.DatabaseURL == "" {
		// The simulated books start afresh every run, so the demo's
		// orders do too: a throw-away embedded store.
		dir, err := os.MkdirTemp("", "tallyfacade-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	st, err := build(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.db.close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	bg, stop := context.WithCancel(ctx)
	wait := st.background(bg, cfg, logger)
	defer func() { stop(); wait() }()
	fmt.Fprintf(stdout, "Swagger UI: %s/swagger/index.html\n", browseURL(ln.Addr()))
	note, curlArg := demoKeyNote(cfg)
	fmt.Fprintf(stdout, "Demo company %q (simulated Tally at %s); %s. Try:\n  curl %s%s/parties/Rajesh%%20Enterprises/balance\n",
		tallysim.DemoCompanyName, sim.URL(), note, curlArg, browseURL(ln.Addr()))
	return serveHTTP(ctx, ln, st.handler(), logger)
}

// demoKeyNote tells whoever runs the demo whether a key is needed (with
// -api-keys or TALLYFACADE_API_KEYS it is) and how curl passes it; it never
// prints a key.
func demoKeyNote(cfg config) (note, curlArg string) {
	if cfg.InsecureNoAuth {
		return "no API key needed", ""
	}
	return "an API key is needed (X-API-Key or Authorization: Bearer)", "-H 'X-API-Key: <your key>' "
}

// health asks the service listening at cfg.Addr on this machine for
// /healthz: the container image has no shell or curl for its healthcheck.
func health(ctx context.Context, cfg config, stdout io.Writer) error {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", cfg.Addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	fmt.Fprintf(stdout, "%s: ok\n", url)
	return nil
}

// browseURL turns a listen address into one a person can open.
func browseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// check reports on the configured Tally and exits non-zero with the fix when
// something is wrong.
func check(ctx context.Context, cfg config, stdout io.Writer) error {
	if _, ok := agentName(cfg.TallyURL); ok {
		return fmt.Errorf("TALLY_URL %s: check talks to a gateway directly; through an agent, ask the running service (GET /tally/status), or run check on the Tally PC", cfg.TallyURL)
	}
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: cfg.TallyURL, Charset: cfg.Charset, Timeout: cfg.TallyTimeout, QueueWait: cfg.QueueWait})
	if err != nil {
		return err
	}
	svc := service.New(tallyxml.NewGateway(client), service.Config{Company: cfg.Company})
	fmt.Fprintf(stdout, "Tally gateway: %s\n", cfg.TallyURL)
	st, err := svc.Status(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "  not usable: %v\n", publicMessage(err))
		if e, ok := service.AsError(err); ok && e.Hint != "" {
			fmt.Fprintf(stdout, "  fix: %s\n", e.Hint)
		}
		return errors.New("tally is not usable")
	}
	fmt.Fprintf(stdout, "  running: %s\n", st.Product)
	fmt.Fprintf(stdout, "  companies loaded: %s\n", strings.Join(quoteAll(st.Companies), ", "))
	switch {
	case cfg.Company == "":
		fmt.Fprintln(stdout, "  TALLY_COMPANY is not set: requests would use whichever company is active.")
		fmt.Fprintln(stdout, "  fix: set TALLY_COMPANY to the exact name of the company to serve.")
		return errors.New("no company configured")
	case !st.CompanyLoaded:
		fmt.Fprintf(stdout, "  company %q is NOT loaded.\n", cfg.Company)
		fmt.Fprintln(stdout, "  fix: load it in Tally (Company → Select), or set TALLY_COMPANY to the exact name of a loaded company.")
		return fmt.Errorf("company %q is not loaded", cfg.Company)
	}
	fmt.Fprintf(stdout, "  company %q is loaded: ready.\n", cfg.Company)
	return nil
}

// agent runs the connector on the Tally PC until ctx ends: it dials the
// façade, relays its gateway requests to the local Tally and reconnects
// after every break.
func agent(ctx context.Context, cfg config, stderr io.Writer) error {
	logger := newLogger(cfg, stderr)
	ac := agentlink.AgentConfig{Server: cfg.Agent.Server, Name: cfg.Agent.Name, Token: cfg.Agent.Token,
		TallyURL: cfg.TallyURL, ReadOnly: cfg.Agent.ReadOnly, Logger: logger, Version: version()}
	if cfg.Agent.CAFile != "" {
		pool, err := agentlink.LoadCAFile(cfg.Agent.CAFile)
		if err != nil {
			return fmt.Errorf("-ca-file: %w", err)
		}
		ac.RootCAs = pool
	}
	a, err := agentlink.NewAgent(ac)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

func publicMessage(err error) string {
	if e, ok := service.AsError(err); ok && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}
