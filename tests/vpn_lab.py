"""A lab of network namespaces on this machine: the VPN device(s) of one site, running the strongSwan and FRR
configuration `gen device-config` writes, against A STAND-IN FOR AZURE: two namespaces playing the two instances of
the hub's active-active VPN gateway, themselves strongSwan and FRR, configured from the parameters gen renders for
the deployment (the connection's IPsec policy or Azure's default offers, the custom APIPA addresses, ASN 65515,
what Azure advertises to the site) and the addresses a deployment would report. It proves that the two halves
gen writes agree with each other; it is not Azure.

What stands in for what:
- The Internet: a bridge in its own namespace; every public address sits on it (documentation ranges).
- IPsec: strongSwan's userspace IPsec (the kernel-libipsec plugin, a TUN device), because this machine's kernel has no
  ESP; the device's swanctl.conf and frr.conf run unchanged, only strongswan.conf (the daemon's own settings) is the
  lab's.
- An Azure instance: accepts whatever traffic selectors the device proposes (Learn: "The Azure VPN gateway accepts
  whatever traffic selector is proposed by the remote VPN gateway"), offers the connection's policy or Azure's
  documented default proposals, and with an APIPA peer waits for the device to open BGP ("Azure VPN Gateway
  doesn't initiate the BGP peering session").

Everything runs as root inside namespaces this module creates and removes; traffic stays between them.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from generator import render, routing
from generator.model import Topology

CHARON = "/usr/lib/ipsec/charon"
LIBIPSEC = "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so"
ZEBRA, BGPD = "/usr/lib/frr/zebra", "/usr/lib/frr/bgpd"
NEEDED = (CHARON, LIBIPSEC, ZEBRA, BGPD, "/usr/sbin/swanctl", "/usr/bin/vtysh", "/usr/bin/envsubst", "/dev/net/tun")
FRR_USER = "frr"  # Debian's frr package creates it; the daemons drop to it
INSTANCE_PUBLIC_IPS = ("192.0.2.10", "192.0.2.11")  # what the stand-in deployment reports for the hub gateway
HUB_HOST = "10.10.2.4"  # a host in the hub's subnet-001, answering on both instances (data through any tunnel)

# Azure's default offers (route-based, IKEv2), from https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-devices#ipsec:
# main mode AES256/AES128/3DES with SHA1/SHA256 and DH group 2; quick mode the initiator offers 1-6.
AZURE_DEFAULT_IKE = "aes256-sha1-modp1024,aes256-sha256-modp1024,aes128-sha1-modp1024,aes128-sha256-modp1024,3des-sha1-modp1024,3des-sha256-modp1024"
AZURE_DEFAULT_ESP = "aes256gcm16,aes256-sha1,3des-sha1,aes256-sha256,aes128-sha1,3des-sha256"

# The stand-in's own reading of Azure's policy names (independent of generator/devices, so that a mistake there
# shows as a tunnel that does not come up).
_ENC = {"AES128": "aes128", "AES192": "aes192", "AES256": "aes256", "GCMAES128": "aes128gcm16", "GCMAES192": "aes192gcm16",
        "GCMAES256": "aes256gcm16", "DES3": "3des", "DES": "des", "None": "null"}
_INT = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384"}
_DH = {"DHGroup1": "modp768", "DHGroup2": "modp1024", "DHGroup14": "modp2048", "DHGroup2048": "modp2048", "DHGroup24": "modp2048s256",
       "ECP256": "ecp256", "ECP384": "ecp384", "PFS1": "modp768", "PFS2": "modp1024", "PFS2048": "modp2048", "PFS24": "modp2048s256"}


def unavailable() -> str | None:
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root: network namespaces need root"
    missing = [path for path in NEEDED if not os.path.exists(path)]
    try:
        import pwd

        pwd.getpwnam(FRR_USER)
    except KeyError:
        missing.append(f"the user {FRR_USER}")
    if missing:
        return f"missing {', '.join(missing)} (make test installs strongswan-charon, strongswan-swanctl, libcharon-extra-plugins, " \
               f"libstrongswan-standard-plugins and frr)"
    probe = f"genprobe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


class Lab:
    """Namespaces on one bridge, the daemons in them, and their removal."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.tag = f"g{os.getpid() % 10000}"
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen] = []
        # FRR's daemons run as its user (frr), which cannot enter pytest's private temporary directories.
        self.frr_root = Path(tempfile.mkdtemp(prefix="gen-lab-frr-"))
        self.frr_root.chmod(0o755)
        self.wan = self.namespace("wan")
        self.sh(self.wan, "ip link add br0 type bridge && ip link set br0 up")
        self.links = 0

    # --- plumbing -------------------------------------------------------------------------------------------

    def namespace(self, name: str) -> str:
        full = f"{self.tag}-{name}"
        subprocess.run(["ip", "netns", "add", full], check=True)
        self.namespaces.append(full)
        self.sh(full, "ip link set lo up")
        return full

    def sh(self, namespace: str, command: str, check: bool = True, timeout: float = 20) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", namespace, "sh", "-c", command], capture_output=True, text=True,
                              check=check, timeout=timeout)

    def attach(self, namespace: str, public_ip: str) -> None:
        """A link from the namespace to the bridge, the public address on it, everything else out of it."""
        self.links += 1
        inside, outside = f"{self.tag}i{self.links}", f"{self.tag}o{self.links}"
        subprocess.run(["ip", "link", "add", inside, "netns", namespace, "type", "veth", "peer", "name", outside, "netns", self.wan],
                       check=True)
        self.sh(self.wan, f"ip link set {outside} master br0 && ip link set {outside} up")
        self.sh(namespace, f"ip link set {inside} name eth0 && ip address add {public_ip}/32 dev eth0 && ip link set eth0 up "
                           f"&& ip route add default dev eth0")

    def start(self, namespace: str, command: str, log: Path) -> None:
        handle = log.open("w")
        self.processes.append(subprocess.Popen(["ip", "netns", "exec", namespace, "sh", "-c", command], stdout=handle,
                                               stderr=subprocess.STDOUT, start_new_session=True))

    def close(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        for namespace in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        shutil.rmtree(self.frr_root, ignore_errors=True)

    # --- the daemons ----------------------------------------------------------------------------------------

    def strongswan(self, namespace: str, name: str, swanctl_conf: str, install_routes: bool = True) -> Path:
        """charon with userspace IPsec in `namespace`, loaded with `swanctl_conf` (verbatim). Without
        `install_routes` the caller routes into the TUN device itself (the stand-in holds no address in most of
        the prefixes it carries, and strongSwan needs one to install a route)."""
        directory = self.root / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "strongswan.conf").write_text(
            "# The lab's daemon settings: userspace IPsec (this kernel has no ESP), a socket and log of its own.\n"
            f"charon {{\n  install_routes = {'yes' if install_routes else 'no'}\n  plugins {{\n    include /etc/strongswan.d/charon/*.conf\n"
            "    kernel-libipsec {\n      load = yes\n    }\n"
            f"    vici {{\n      socket = unix://{directory}/charon.vici\n    }}\n  }}\n"
            f"  filelog {{\n    lab {{\n      path = {directory}/charon.log\n      default = 1\n      ike = 2\n      cfg = 2\n    }}\n  }}\n}}\n")
        (directory / "swanctl.conf").write_text(swanctl_conf)
        # /run is the namespace's own (charon writes its pid file there).
        self.start(namespace, f"mount -t tmpfs tmpfs /run && STRONGSWAN_CONF={directory}/strongswan.conf exec {CHARON}",
                   directory / "charon.out")
        deadline = time.monotonic() + 10
        while not (directory / "charon.vici").exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"charon in {namespace} did not start: {(directory / 'charon.out').read_text()}")
            time.sleep(0.1)
        loaded = subprocess.run(["swanctl", "--load-all", "--file", str(directory / "swanctl.conf"), "--uri",
                                 f"unix://{directory}/charon.vici"], capture_output=True, text=True, timeout=20)
        if loaded.returncode != 0 or "failed" in loaded.stdout.replace("0 failed", ""):
            raise RuntimeError(f"swanctl refused {name}'s configuration:\n{loaded.stdout}{loaded.stderr}")
        return directory

    def frr(self, namespace: str, name: str, frr_conf: str) -> Path:
        """zebra and bgpd in `namespace` with `frr_conf` (verbatim), sockets and pid files of their own."""
        directory = self.frr_root / name
        directory.mkdir()
        shutil.chown(directory, "frr", "frr")
        (directory / "frr.conf").write_text(frr_conf)
        shutil.chown(directory / "frr.conf", "frr", "frr")
        options = f"-f {directory}/frr.conf -z {directory}/zserv.api --vty_socket {directory}"
        self.start(namespace, f"exec {ZEBRA} {options} -i {directory}/zebra.pid", self.root / f"{name}.zebra.out")
        deadline = time.monotonic() + 10
        while not (directory / "zserv.api").exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"zebra in {namespace} did not start: {(self.root / f'{name}.zebra.out').read_text()}")
            time.sleep(0.1)
        self.start(namespace, f"exec {BGPD} {options} -i {directory}/bgpd.pid", self.root / f"{name}.bgpd.out")
        return directory

    @staticmethod
    def vtysh(directory: Path, command: str) -> dict:
        done = subprocess.run(["vtysh", "--vty_socket", str(directory), "-c", command], capture_output=True, text=True, timeout=10)
        try:
            return json.loads(done.stdout or "{}")
        except json.JSONDecodeError:
            return {}

    @staticmethod
    def installed_children(directory: Path) -> int:
        done = subprocess.run(["swanctl", "--list-sas", "--uri", f"unix://{directory}/charon.vici"], capture_output=True, text=True, timeout=10)
        return done.stdout.count("INSTALLED")


# --- the stand-in for the two Azure instances ------------------------------------------------------------------


def deployment_outputs(topology: Topology) -> dict:
    """What `az deployment group show` reports for the hub VPN gateway in the lab: its instances' public IPs (on
    the lab's bridge) and default BGP addresses (the GatewaySubnet's .4 and .5)."""
    gateway_subnet = ipaddress.ip_network(str(topology.hub.vnet.subnet("GatewaySubnet").prefix))
    count = topology.hub.vpn_gateway.instances
    return {"hubVpnGatewayPublicIpAddresses": {"type": "Array", "value": list(INSTANCE_PUBLIC_IPS[:count])},
            "hubVpnGatewayBgpPeeringAddress": {"type": "String", "value": ",".join(str(gateway_subnet[4 + i]) for i in range(count))}}


def write_capture(root: Path, topology: Topology) -> Path:
    """A capture with deployment.json only, in `az deployment group show`'s shape (shared/docs/azure-cli-outputs.md)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "deployment.json").write_text(json.dumps({
        "id": f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-{topology.name}/providers/"
              f"Microsoft.Resources/deployments/{topology.name}",
        "name": topology.name, "resourceGroup": f"rg-{topology.name}",
        "properties": {"provisioningState": "Succeeded", "outputs": deployment_outputs(topology)}}, indent=2))
    return root


@dataclass(frozen=True)
class Instance:
    """One instance of the hub VPN gateway, as the stand-in plays it."""

    swanctl: str
    frr: str  # "" for a static site
    addresses: tuple[str, ...]  # on its loopback: BGP addresses, a hub host
    public_ip: str
    routes: tuple[str, ...]  # into the tunnels: the site's prefixes and its devices' BGP addresses


def instance_configs(topology: Topology, site_name: str, psk: str) -> list[Instance]:
    """Each instance of the hub VPN gateway for one site, built from the deployment's parameters
    (render.parameter_values: what Azure is given) and the addresses the deployment reports."""
    parameters = render.parameter_values(topology)
    connections = [c for c in parameters["siteBranches"] if c.get("sharedKeyName", c["name"]) == site_name]
    gateway = parameters["hubVpnGateway"]
    outputs = deployment_outputs(topology)
    defaults = outputs["hubVpnGatewayBgpPeeringAddress"]["value"].split(",")
    custom = gateway.get("customBgpIpAddresses", [])
    advertised = routing.expected_advertised(topology)[str(topology.hub.vpn_gateway.name)]
    found = []
    for instance, public_ip in enumerate(outputs["hubVpnGatewayPublicIpAddresses"]["value"]):
        children, secrets, neighbors, networks, routes = [], [], [], [], []
        addresses = [f"{defaults[instance]}/32", f"{HUB_HOST}/32"] + ([f"{custom[instance]}/32"] if custom else [])
        # An address in each selector the device may propose for the Azure side: strongSwan's userspace IPsec
        # installs a tunnel's route only from a local address inside the selector (the real gateway forwards for
        # the whole hub). A device may split a prefix around an instance's BGP address: cover the pieces too.
        site = next(b for b in topology.site_branches if b.name == site_name)
        instances = [ipaddress.ip_network(f"{d}/32") for d in defaults]
        for prefix in routing.offered_to(topology, site):
            pieces = [ipaddress.ip_network(prefix)]
            for other in instances:
                pieces = [q for piece in pieces for q in (piece.address_exclude(other) if other.subnet_of(piece) else [piece])]
            addresses += [f"{piece[1] if piece.num_addresses > 2 else piece[0]}/32" for piece in pieces]
        addresses = list(dict.fromkeys(addresses))
        for connection in connections:
            policy = connection.get("ipsecPolicy")
            ike = (f"{_ENC[policy['ikeEncryption']]}-{'prf' if policy['ikeEncryption'].startswith('GCM') else ''}"
                   f"{_INT[policy['ikeIntegrity']]}-{_DH[policy['dhGroup']]}") if policy else AZURE_DEFAULT_IKE
            if policy:
                gcm = policy["ipsecEncryption"].startswith("GCM")
                esp = "-".join([_ENC[policy["ipsecEncryption"]]] + ([] if gcm else [_INT[policy["ipsecIntegrity"]]])
                               + ([] if policy["pfsGroup"] == "None" else [_DH[policy["pfsGroup"]]]))
            else:
                esp = AZURE_DEFAULT_ESP
            peer = connection.get("gatewayIpAddress")
            name = connection["name"]
            routes += connection["addressPrefixes"] + ([f"{connection['bgpPeeringAddress']}/32"] if "bgpAsn" in connection else [])
            children.append(
                f"  {name} {{\n    version = 2\n    local_addrs = {public_ip}\n    remote_addrs = {peer}\n    proposals = {ike}\n"
                f"    local {{\n      auth = psk\n      id = {public_ip}\n    }}\n    remote {{\n      auth = psk\n      id = {peer}\n    }}\n"
                f"    children {{\n      {name} {{\n        local_ts = 0.0.0.0/0\n        remote_ts = 0.0.0.0/0\n"
                f"        esp_proposals = {esp}\n        start_action = none\n      }}\n    }}\n  }}\n")
            secrets.append(f"  ike-{name} {{\n    id = {peer}\n    secret = \"{psk}\"\n  }}\n")
            if "bgpAsn" in connection:
                device = connection["bgpPeeringAddress"]
                apipa = ipaddress.ip_address(device).is_link_local
                source = custom[instance] if apipa else defaults[instance]
                neighbors += [f" neighbor {device} remote-as {connection['bgpAsn']}", f" neighbor {device} update-source {source}",
                              f" neighbor {device} ebgp-multihop 2", f" neighbor {device} timers 60 180",
                              f" neighbor {device} timers connect 5"]
                if apipa:
                    neighbors.append(f" neighbor {device} passive")  # Azure does not open BGP from an APIPA address
                networks += advertised.get(device, [])
        swanctl = "connections {\n" + "".join(children) + "}\nsecrets {\n" + "".join(secrets) + "}\n"
        frr = ""
        if neighbors:
            frr = "\n".join(["frr defaults traditional", f"hostname azure-instance-{instance}", "ip nht resolve-via-default",
                             f"router bgp {gateway['asn']}", f" bgp router-id {defaults[instance]}", " no bgp ebgp-requires-policy",
                             " no bgp network import-check", *neighbors, " address-family ipv4 unicast",
                             *[f"  network {p}" for p in dict.fromkeys(networks)], " exit-address-family", ""])
        found.append(Instance(swanctl, frr, tuple(addresses), public_ip, tuple(dict.fromkeys(routes))))
    return found


def wait_for(check, seconds: float, what: str):
    """Poll `check` until it returns something truthy; fail with `what` and the last value after `seconds`."""
    deadline = time.monotonic() + seconds
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} within {seconds:.0f} s (last: {value})")


def tcp_through(lab: Lab, namespace: str, source: str, destination: str, port: int = 5001) -> bool:
    """A TCP connection from `source` in `namespace` to `destination`, where a listener answers."""
    program = ("import socket,sys\ns=socket.create_connection((sys.argv[1],int(sys.argv[3])),timeout=3,source_address=(sys.argv[2],0))\n"
               "print(s.recv(16).decode())")
    done = lab.sh(namespace, f"{shutil.which('python3') or 'python3'} -c '{program}' {destination} {source} {port}", check=False)
    return done.returncode == 0 and "hub" in done.stdout


def listen(lab: Lab, namespace: str, address: str, log: Path, port: int = 5001) -> None:
    program = ("import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
               f"s.bind(('{address}',{port}));s.listen(8)\nwhile True:\n  c,_=s.accept();c.send(b'hub');c.close()")
    lab.start(namespace, f"exec {shutil.which('python3') or 'python3'} -c \"{program}\"", log)
