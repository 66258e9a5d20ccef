/** The usage line of each command, used in usage errors. */
export const USAGE = {
  add: 'cnitool add <network> <netns-path>',
  check: 'cnitool check <network> <netns-path>',
  del: 'cnitool del <network> <netns-path>',
  status: 'cnitool status <network>',
  gc: 'cnitool gc <network> [<netns-path>]',
  validate: 'cnitool validate <network>',
  ls: 'cnitool ls',
  'cache ls': 'cnitool cache ls [<container-id>]',
  'cache show': 'cnitool cache show <network> <netns-path>  (or: cnitool cache show <network> --container-id ID)',
  version: 'cnitool version <plugin-type>',
  conformance: 'cnitool conformance <plugin-type> [--config FILE]',
} as const;

export type CommandName = keyof typeof USAGE;

export const HELP = `cnitool: run CNI plugins for a network namespace, as a container runtime does

Usage:
  cnitool add    <network> <netns-path>   attach the namespace; print the result as JSON
  cnitool check  <network> <netns-path>   check an attachment against its cached result
  cnitool del    <network> <netns-path>   detach, with the cached result and arguments
  cnitool status <network>                ask the network's plugins whether they are ready
                                          (does nothing for lists older than 1.1.0)
  cnitool gc     <network> [<netns-path>] DEL every cached attachment of the network, then
                                          send GC to its plugins, as the Go tool does; the
                                          netns path is accepted and ignored
  cnitool validate <network>              check the config, that its plugins are installed and
                                          that they support its version
  cnitool ls                              list the networks of the config directory; * marks
                                          the default one (the first valid file whose plugins
                                          are all on CNI_PATH)
  cnitool cache ls [<container-id>]       list the cached attachments
  cnitool cache show <network> <netns-path>|--container-id ID
                                          print one cache entry, its config as text
  cnitool version <plugin-type>           ask a plugin which spec versions it supports
  cnitool conformance <plugin-type> [--config FILE]
                                          run the conformance checks against a plugin

Environment:
  NETCONFPATH    config directory (.conflist, .conf, .json)   default /etc/cni/net.d
  CNI_PATH       plugin directories, separated by ':' (required; no default)
  CNI_IFNAME     interface name in the namespace               default eth0
  CNI_ARGS       K=V;K2=V2, passed to the plugins as CNI_ARGS
  CAP_ARGS       JSON object of capability arguments, e.g. {"portMappings":[...]}
  CNI_CACHE_DIR  result cache directory                        default /var/lib/cni
  NODE_DEBUG=libcni  print every library event on stderr

Options:
  -i, --ifname NAME       interface name (overrides CNI_IFNAME)
      --container-id ID   container ID; default: cnitool- and the first 20 hex digits of the
                          SHA-512 of the absolute netns path, as the Go tool computes it
      --cache-dir DIR     result cache directory (overrides CNI_CACHE_DIR)
      --timeout MS        milliseconds each plugin run may take (default 60000); then the
                          plugin gets SIGTERM, and SIGKILL 2 s later
      --config FILE       conformance: the plugin config to test with
      --json              machine-readable output: one JSON document on stdout, and on stderr
                          one JSON object per line ({"error":...}, {"event":...}, {"stderr":...})
  -v, --verbose           print each plugin run and how long it took on stderr
  -h, --help              print this help

Output:
  add prints the result as the Go tool does (JSON indented by four spaces); check, del, status
  and gc print nothing. With --json every command prints one line of JSON; add, check and del
  print {"network","containerId","ifName","netns"} and add adds "result". An error is one line
  on stderr: "cnitool: <message> [<code> cni=<spec code>]", or {"error":{"code","cniCode",
  "message"}} with --json. gc and conformance show a progress line when stderr is a terminal.

Examples:
  export NETCONFPATH=/etc/cni/net.d CNI_PATH=/opt/cni/bin
  cnitool add mynet /var/run/netns/ctr1
  CAP_ARGS='{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}' \\
    cnitool add mynet /var/run/netns/ctr1
  cnitool --json add mynet /var/run/netns/ctr1 | jq -r '.result.ips[0].address'
  cnitool --verbose --timeout 5000 check mynet /var/run/netns/ctr1
  cnitool del mynet /var/run/netns/ctr1
  cnitool ls && cnitool validate mynet
  cnitool cache ls
  cnitool cache show mynet /var/run/netns/ctr1
  cnitool conformance bridge --config bridge.conf --json

Exit status:
  0    success
  1    the operation failed (as with the Go tool)
  2    the command line is wrong: unknown command or option, missing argument, bad value
  130  interrupted by SIGINT (143: SIGTERM); running plugins were stopped first
`;
