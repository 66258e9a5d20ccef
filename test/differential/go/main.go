// Command cnidiff runs one operation of the Go reference CNI library (libcni) and prints what
// happened as one JSON object on stdout, so the TypeScript tests can compare the two libraries on
// the same configs, plugins and cache files.
//
// It reads a request from stdin:
//
//	{"op": "add", "configFile": "/x/10-net.conflist", "containerId": "c1", "netns": "/run/netns/c",
//	 "ifName": "eth0", "args": [["K", "V"]], "capabilityArgs": {}, "cacheDir": "/tmp/c",
//	 "cniPath": ["/usr/lib/cni"]}
//
// op is one of:
//
//	add, check, del   AddNetworkList, CheckNetworkList, DelNetworkList
//	cached            GetNetworkListCachedResult
//	cachedConfig      GetNetworkListCachedConfig (config bytes and runtime arguments)
//	load              the list as the library parsed it
//	version           GetVersionInfo of pluginType (needs no config)
//	validate          ValidateNetworkList
//	gc, status        GCNetworkList (with validAttachments), GetStatusNetworkList
//	info              the spec versions the library itself speaks (needs no config)
//
// The config comes from configFile (.conflist, or a single .conf/.json up-converted to a list) or
// from confDir + network, looked up the way the library's own directory loader does it. The
// answer is {"ok": true, "result": ...} or {"ok": false, "error": "...", "code": N}; code is the
// CNI error code when there is one.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

type attachment struct {
	ContainerID string `json:"containerID"`
	IfName      string `json:"ifname"`
}

type request struct {
	Op               string                 `json:"op"`
	ConfigFile       string                 `json:"configFile"`
	ConfDir          string                 `json:"confDir"`
	Network          string                 `json:"network"`
	ContainerID      string                 `json:"containerId"`
	NetNS            string                 `json:"netns"`
	IfName           string                 `json:"ifName"`
	Args             [][2]string            `json:"args"`
	CapabilityArgs   map[string]interface{} `json:"capabilityArgs"`
	CacheDir         string                 `json:"cacheDir"`
	CNIPath          []string               `json:"cniPath"`
	PluginType       string                 `json:"pluginType"`
	ValidAttachments *[]attachment          `json:"validAttachments"`
}

type reply struct {
	OK     bool        `json:"ok"`
	Result interface{} `json:"result,omitempty"`
	Error  string      `json:"error,omitempty"`
	Code   *uint       `json:"code,omitempty"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "cnidiff: bad request: %v\n", err)
		os.Exit(2)
	}
	result, err := run(&req)
	out := reply{OK: err == nil, Result: result}
	if err != nil {
		out.Error = err.Error()
		var cniErr *types.Error
		if errors.As(err, &cniErr) {
			code := cniErr.Code
			out.Code = &code
		}
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "cnidiff: cannot print the reply: %v\n", err)
		os.Exit(2)
	}
}

func loadList(req *request) (*libcni.NetworkConfigList, error) {
	switch {
	case req.ConfigFile != "" && filepath.Ext(req.ConfigFile) == ".conflist":
		return libcni.ConfListFromFile(req.ConfigFile)
	case req.ConfigFile != "":
		conf, err := libcni.ConfFromFile(req.ConfigFile)
		if err != nil {
			return nil, err
		}
		return libcni.ConfListFromConf(conf)
	case req.ConfDir != "":
		return libcni.LoadConfList(req.ConfDir, req.Network)
	}
	return nil, errors.New("the request names neither configFile nor confDir")
}

func run(req *request) (interface{}, error) {
	ctx := context.Background()
	cni := libcni.NewCNIConfigWithCacheDir(req.CNIPath, req.CacheDir, nil)

	if req.Op == "info" {
		return map[string]interface{}{
			"specVersion":       version.Current(),
			"supportedVersions": version.All.SupportedVersions(),
		}, nil
	}
	if req.Op == "version" {
		info, err := cni.GetVersionInfo(ctx, req.PluginType)
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"supportedVersions": info.SupportedVersions()}, nil
	}

	list, err := loadList(req)
	if err != nil {
		return nil, err
	}
	rt := &libcni.RuntimeConf{
		ContainerID:    req.ContainerID,
		NetNS:          req.NetNS,
		IfName:         req.IfName,
		Args:           req.Args,
		CapabilityArgs: req.CapabilityArgs,
	}

	switch req.Op {
	case "load":
		plugins := make([]json.RawMessage, 0, len(list.Plugins))
		for _, plugin := range list.Plugins {
			plugins = append(plugins, plugin.Bytes)
		}
		return map[string]interface{}{
			"name":         list.Name,
			"cniVersion":   list.CNIVersion,
			"disableCheck": list.DisableCheck,
			"plugins":      plugins,
			"bytes":        string(list.Bytes),
		}, nil
	case "add":
		result, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(mustMarshal(result)), nil
	case "check":
		return nil, cni.CheckNetworkList(ctx, list, rt)
	case "del":
		return nil, cni.DelNetworkList(ctx, list, rt)
	case "cached":
		result, err := cni.GetNetworkListCachedResult(list, rt)
		if err != nil || result == nil {
			return nil, err
		}
		return json.RawMessage(mustMarshal(result)), nil
	case "cachedConfig":
		config, cachedRt, err := cni.GetNetworkListCachedConfig(list, rt)
		if err != nil || cachedRt == nil {
			return nil, err
		}
		return map[string]interface{}{
			"config":         string(config),
			"containerId":    cachedRt.ContainerID,
			"netns":          cachedRt.NetNS,
			"ifName":         cachedRt.IfName,
			"args":           cachedRt.Args,
			"capabilityArgs": cachedRt.CapabilityArgs,
		}, nil
	case "validate":
		return cni.ValidateNetworkList(ctx, list)
	case "gc":
		return nil, gc(ctx, cni, list, req.ValidAttachments)
	case "status":
		return nil, callOptional(cni, "GetStatusNetworkList", reflect.ValueOf(ctx), reflect.ValueOf(list))
	}
	return nil, fmt.Errorf("unknown op %q", req.Op)
}

func mustMarshal(value interface{}) []byte {
	data, err := json.Marshal(value)
	if err != nil {
		panic(err)
	}
	return data
}

// GC and STATUS arrived in later versions of the library than some distributions ship, so they
// are looked up at run time: this program builds against every version and says which it lacks.
func gc(ctx context.Context, cni *libcni.CNIConfig, list *libcni.NetworkConfigList, valid *[]attachment) error {
	method := reflect.ValueOf(cni).MethodByName("GCNetworkList")
	if !method.IsValid() {
		return errors.New("unsupported: this version of libcni has no GCNetworkList")
	}
	argsType := method.Type().In(2) // *libcni.GCArgs
	args := reflect.Zero(argsType)
	if valid != nil {
		args = reflect.New(argsType.Elem())
		field := args.Elem().FieldByName("ValidAttachments")
		field.Set(reflect.MakeSlice(field.Type(), 0, len(*valid)))
		for _, one := range *valid {
			entry := reflect.New(field.Type().Elem()).Elem()
			entry.FieldByName("ContainerID").SetString(one.ContainerID)
			entry.FieldByName("IfName").SetString(one.IfName)
			field.Set(reflect.Append(field, entry))
		}
	}
	return callOptional(cni, "GCNetworkList", reflect.ValueOf(ctx), reflect.ValueOf(list), args)
}

func callOptional(cni *libcni.CNIConfig, name string, in ...reflect.Value) error {
	method := reflect.ValueOf(cni).MethodByName(name)
	if !method.IsValid() {
		return fmt.Errorf("unsupported: this version of libcni has no %s", name)
	}
	out := method.Call(in)
	if last := out[len(out)-1]; !last.IsNil() {
		return last.Interface().(error)
	}
	return nil
}
