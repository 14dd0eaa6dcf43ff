package scenarios

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/util/validation"
)

// validateApplication checks the user's application sources and images;
// whether their files exist is checked by checkFiles, which knows where
// the scenario file is.
func (w *WorkloadSpec) validateApplication(errs *ErrorList, p fieldPath) {
	for i, m := range w.Manifests {
		nonEmptyPath(errs, p.child("manifests").index(i), m)
	}
	for i, k := range w.Kustomize {
		nonEmptyPath(errs, p.child("kustomize").index(i), k)
	}
	releases := map[string]int{}
	for i, c := range w.Helm {
		cp := p.child("helm").index(i)
		nonEmptyPath(errs, cp.child("chart"), c.Chart)
		if c.Release != "" {
			dns1123Label(errs, cp.child("release"), c.Release)
			if j, dup := releases[c.Release]; dup {
				errs.add(cp.child("release"), ErrDuplicate, "duplicate release name %q (also spec.workload.helm[%d])", c.Release, j)
			}
			releases[c.Release] = i
		}
		for j, v := range c.Values {
			nonEmptyPath(errs, cp.child("values").index(j), v)
		}
		for j, s := range c.Set {
			if k, _, ok := strings.Cut(s, "="); !ok || strings.TrimSpace(k) == "" {
				errs.add(cp.child("set").index(j), ErrInvalid, "want key.path=value, got %q", s)
			}
		}
	}
	seen := map[string]int{}
	for i, im := range w.Images {
		ip := p.child("images").index(i)
		if im.Name == "" {
			errs.required(ip.child("name"), "")
			continue
		}
		if _, err := name.ParseReference(im.Name); err != nil {
			errs.add(ip.child("name"), ErrInvalid, "not an image reference: %v", err)
		}
		if j, dup := seen[im.Name]; dup {
			errs.add(ip.child("name"), ErrDuplicate, "image %q is listed twice (also spec.workload.images[%d])", im.Name, j)
		}
		seen[im.Name] = i
		if im.Archive != "" && len(im.Archives) > 0 {
			errs.add(ip.child("archives"), ErrInvalid, "give archive or archives, not both")
		}
		for _, a := range slices.Sorted(maps.Keys(im.Archives)) {
			enum(errs, ip.child("archives").key(string(a)), a, arches)
		}
	}
	if len(w.Images) > 0 && !w.HasApplication() {
		errs.add(p.child("images"), ErrInvalid, "images are loaded for the user's application; give manifests, kustomize or helm")
	}
}

func nonEmptyPath(errs *ErrorList, p fieldPath, v string) {
	if strings.TrimSpace(v) == "" {
		errs.required(p, "a path relative to the scenario file")
	}
}

// validateProbes checks the probes: unique names, exactly one method, a
// Service and port, and timing.
func (sp *Spec) validateProbes(errs *ErrorList, p fieldPath) {
	names := map[string]int{}
	for i, pr := range sp.Probes {
		pp := p.index(i)
		if pr.Name == "" {
			errs.required(pp.child("name"), "")
		} else {
			dns1123Label(errs, pp.child("name"), pr.Name)
			if j, dup := names[pr.Name]; dup {
				errs.add(pp.child("name"), ErrDuplicate, "duplicate probe name %q (also spec.probes[%d])", pr.Name, j)
			}
			names[pr.Name] = i
		}
		switch methods := probeMethods(pr); {
		case len(methods) == 0:
			errs.required(pp, "set one of http, tcp and mqtt")
		case len(methods) > 1:
			errs.add(pp.child(methods[1]), ErrInvalid, "set only one of http, tcp and mqtt (also %s)", methods[0])
		case pr.HTTP != nil:
			probeService(errs, pp.child("http"), pr.HTTP.Service, pr.HTTP.Port)
			if s := pr.HTTP.ExpectStatus; s != 0 && (s < 100 || s > 599) {
				errs.add(pp.child("http", "expectStatus"), ErrInvalid, "must be an HTTP status code (100-599), got %d", s)
			}
			if path := pr.HTTP.Path; path != "" && !strings.HasPrefix(path, "/") {
				errs.add(pp.child("http", "path"), ErrInvalid, "must start with /, got %q", path)
			}
		case pr.TCP != nil:
			probeService(errs, pp.child("tcp"), pr.TCP.Service, pr.TCP.Port)
		default:
			pr.MQTT.validate(errs, pp.child("mqtt"))
		}
		switch {
		case pr.Interval <= 0:
			errs.add(pp.child("interval"), ErrInvalid, "must be > 0")
		case pr.Timeout <= 0 || pr.Timeout > pr.Interval:
			errs.add(pp.child("timeout"), ErrInvalid, "must be > 0 and at most the interval (%s)", pr.Interval.Std())
		}
	}
	if len(sp.Probes) > 0 && !sp.Workload.Deployed(FixtureBroker) && !sp.Workload.HasApplication() {
		errs.add(p, ErrInvalid, "probes check the workload's Services; deploy something")
	}
}

// probeMethods names the methods a probe sets, in field order.
func probeMethods(pr Probe) []string {
	var out []string
	for _, m := range []struct {
		name string
		set  bool
	}{{"http", pr.HTTP != nil}, {"tcp", pr.TCP != nil}, {"mqtt", pr.MQTT != nil}} {
		if m.set {
			out = append(out, m.name)
		}
	}
	return out
}

func (m *MQTTProbe) validate(errs *ErrorList, p fieldPath) {
	probeService(errs, p, m.Service, m.Port)
	switch {
	case m.Topic == "":
		errs.required(p.child("topic"), "")
	case strings.ContainsAny(m.Topic, "+#"):
		errs.add(p.child("topic"), ErrInvalid, "the probe publishes to its topic: it cannot hold the wildcards + or #")
	}
	if m.QoS == nil || *m.QoS < 0 || *m.QoS > 1 {
		errs.add(p.child("qos"), ErrInvalid, "must be 0 or 1")
	}
	m.MQTTClient.validate(errs, p)
}

// validate checks the protocol and the names of the Secrets; whether the
// workload holds them is checked when it is rendered.
func (c *MQTTClient) validate(errs *ErrorList, p fieldPath) {
	enum(errs, p.child("protocol"), c.Protocol, mqttProtocols)
	if c.CredentialsSecret != "" {
		secretName(errs, p.child("credentialsSecret"), c.CredentialsSecret)
	}
	if t := c.TLS; t != nil {
		if t.Secret == "" {
			errs.required(p.child("tls", "secret"), "the name of a Secret of the workload holding ca.crt")
		} else {
			secretName(errs, p.child("tls", "secret"), t.Secret)
		}
		if t.ServerName != "" {
			for _, msg := range validation.IsDNS1123Subdomain(t.ServerName) {
				errs.add(p.child("tls", "serverName"), ErrInvalid, "invalid server name %q: %s", t.ServerName, msg)
			}
		}
	}
}

func secretName(errs *ErrorList, p fieldPath, name string) {
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs.add(p, ErrInvalid, "invalid Secret name %q: %s", name, msg)
	}
}

func probeService(errs *ErrorList, p fieldPath, svc string, port int32) {
	if svc == "" {
		errs.required(p.child("service"), "the name of a Service in the run namespace")
	} else {
		for _, msg := range validation.IsDNS1035Label(svc) {
			errs.add(p.child("service"), ErrInvalid, "invalid Service name %q: %s", svc, msg)
		}
	}
	if port < 1 || port > 65535 {
		errs.add(p.child("port"), ErrInvalid, "must be a port number (1-65535), got %d", port)
	}
}

// Resolve returns p as it is meant in the scenario file: relative paths
// are taken from the folder of the file the scenario was loaded from.
func (s *Scenario) Resolve(p string) string {
	if filepath.IsAbs(p) || s.source == "" {
		return p
	}
	return filepath.Join(filepath.Dir(s.source), p)
}

// checkFiles reports application files that do not exist, or are not what
// their field needs, relative to the scenario file.
func (s *Scenario) checkFiles() ErrorList {
	var errs ErrorList
	w, p := &s.Spec.Workload, fieldPath("spec.workload")
	check := func(fp fieldPath, v string, wantDir bool, what string) {
		if strings.TrimSpace(v) == "" {
			return // reported by Validate
		}
		info, err := os.Stat(s.Resolve(v))
		switch {
		case err != nil:
			errs.add(fp, ErrInvalid, "%s %s: %v", what, v, errorText(err))
		case wantDir && !info.IsDir():
			errs.add(fp, ErrInvalid, "%s %s is not a folder", what, v)
		}
	}
	for i, m := range w.Manifests {
		check(p.child("manifests").index(i), m, false, "manifest")
	}
	for i, k := range w.Kustomize {
		check(p.child("kustomize").index(i), k, true, "kustomization folder")
		if _, err := os.Stat(s.Resolve(k)); err == nil && !hasKustomization(s.Resolve(k)) {
			errs.add(p.child("kustomize").index(i), ErrInvalid, "%s holds no kustomization.yaml", k)
		}
	}
	for i, c := range w.Helm {
		cp := p.child("helm").index(i)
		check(cp.child("chart"), c.Chart, false, "chart")
		for j, v := range c.Values {
			check(cp.child("values").index(j), v, false, "values file")
		}
	}
	for i, im := range w.Images {
		ip := p.child("images").index(i)
		if im.Archive != "" {
			check(ip.child("archive"), im.Archive, false, "image archive")
		}
		for _, a := range slices.Sorted(maps.Keys(im.Archives)) {
			check(ip.child("archives").key(string(a)), im.Archives[a], false, "image archive")
		}
	}
	return errs
}

func hasKustomization(dir string) bool {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

// errorText is an error without the path os prepends, which the message
// already names.
func errorText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
