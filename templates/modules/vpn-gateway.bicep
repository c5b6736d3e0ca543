metadata name = 'VPN gateway'
metadata description = 'A route-based VPN gateway with BGP (an AZ SKU; a running non-AZ SKU kept), active-active or not, with its Standard, Static public IPs.'

@export()
@description('A VPN gateway: the hub\'s or a VNet branch\'s.')
type vpnGatewayType = {
  @description('Required. Name of the gateway.')
  name: string

  @description('Required. Gateway SKU: an AZ SKU, or a non-AZ SKU of a gateway that runs already.')
  sku: vpnSkuType

  @description('Required. Gateway generation: VpnGw1AZ only exists as Generation1.')
  generation: 'Generation1' | 'Generation2'

  @description('Required. BGP ASN of the gateway.')
  asn: int

  @description('Required. Active-active: two instances and two public IPs.')
  activeActive: bool

  @description('Required. Names of the gateway\'s public IPs: two when active-active, one otherwise.')
  publicIpNames: string[]

  @description('Required. Availability zones of the public IPs: 1, 2, 3 for an AZ SKU where the region has zones, none otherwise.')
  publicIpZones: string[]

  @description('Optional. Custom APIPA BGP addresses, one per instance, for VPN devices that peer from APIPA addresses.')
  customBgpIpAddresses: string[]?

  @description('Optional. Names of an existing gateway\'s IP configurations, one per instance.')
  ipConfigurationNames: string[]?

  @description('Optional. A running non-AZ gateway, which Azure no longer lets anyone change: read, never written.')
  readOnly: bool?
}

@description('A VPN gateway SKU: the AZ SKUs gen creates, and the non-AZ ones a running gateway may have.')
type vpnSkuType =
  | 'VpnGw1AZ'
  | 'VpnGw2AZ'
  | 'VpnGw3AZ'
  | 'VpnGw4AZ'
  | 'VpnGw5AZ'
  | 'VpnGw1'
  | 'VpnGw2'
  | 'VpnGw3'
  | 'VpnGw4'
  | 'VpnGw5'

@description('Required. Name of the VPN gateway.')
param name string

@description('Required. Azure region of the gateway and its public IPs.')
param location string

@description('Optional. Tags put on the gateway and its public IPs.')
param tags object = {}

@description('Required. Gateway SKU.')
param sku vpnSkuType

@description('Required. Gateway generation: VpnGw1AZ only exists as Generation1.')
param generation 'Generation1' | 'Generation2'

@description('Required. BGP ASN of the gateway (65515 when it exchanges routes with a Route Server).')
param asn int

@description('Required. Two instances with one public IP each; required next to a Route Server.')
param activeActive bool

@description('Required. Names of the public IPs: two when active-active, one otherwise.')
param publicIpNames string[]

@description('Optional. Availability zones of the public IPs.')
param publicIpZones string[] = []

@description('Required. Resource ID of the GatewaySubnet the gateway lives in.')
param gatewaySubnetResourceId string

@description('Optional. Custom APIPA BGP addresses (169.254.21.0-169.254.22.255), one per instance in instance order; empty: none.')
param customBgpIpAddresses string[] = []

@description('Optional. Names of the IP configurations, one per instance; empty: ipconfig1 (and ipconfig2).')
param ipConfigurationNames string[] = []

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

@description('Optional. Write the gateway. False for a running non-AZ gateway: Azure refuses every change to one since the SKU consolidation, so it is read, not written.')
param write bool = true

var kept = asDeployed[?resourceId('Microsoft.Network/virtualNetworkGateways', name)] ?? asDeployed[?'Microsoft.Network/virtualNetworkGateways/${name}'] ?? {}

module publicIps 'public-ip.bicep' = [
  for publicIpName in publicIpNames: {
    name: 'pip-${uniqueString(deployment().name, publicIpName)}'
    params: {
      name: publicIpName
      location: location
      tags: tags
      zones: publicIpZones
      asDeployed: asDeployed
    }
  }
]

// By resource ID (a variable's loop cannot read module outputs): the gateway waits for its public IPs below.
var ipConfigurations = [
  for (publicIpName, index) in publicIpNames: {
    name: empty(ipConfigurationNames) ? 'ipconfig${index + 1}' : ipConfigurationNames[index]
    properties: {
      privateIPAllocationMethod: 'Dynamic'
      subnet: {
        id: gatewaySubnetResourceId
      }
      publicIPAddress: {
        id: resourceId('Microsoft.Network/publicIPAddresses', publicIpName)
      }
    }
  }
]

resource gateway 'Microsoft.Network/virtualNetworkGateways@2025-05-01' = if (write) {
  name: name
  location: location
  tags: kept.?tags ?? tags
  properties: union(
    {
      gatewayType: 'Vpn'
      vpnType: 'RouteBased'
      vpnGatewayGeneration: generation
      sku: {
        name: sku
        tier: sku
      }
      activeActive: activeActive
      enableBgp: true
      bgpSettings: {
        asn: asn
        // An instance's custom APIPA address is what an APIPA-peering device talks BGP to (Learn: configure BGP).
        bgpPeeringAddresses: empty(customBgpIpAddresses)
          ? null
          : map(range(0, length(customBgpIpAddresses)), index => {
              ipconfigurationId: resourceId(
                'Microsoft.Network/virtualNetworkGateways/ipConfigurations',
                name,
                empty(ipConfigurationNames) ? 'ipconfig${index + 1}' : ipConfigurationNames[index]
              )
              customBgpIpAddresses: [customBgpIpAddresses[index]]
            })
      }
      ipConfigurations: ipConfigurations
    },
    kept.?properties ?? {}
  )
  dependsOn: [
    publicIps
  ]
}

// What runs, written above or not: outputs are read once every resource of the deployment is done.
resource running 'Microsoft.Network/virtualNetworkGateways@2025-05-01' existing = {
  name: name
}

@description('Resource ID of the VPN gateway.')
output resourceId string = running.id

@description('Name of the VPN gateway.')
output name string = running.name

@description('Public IP addresses of the gateway instances: the tunnel endpoints for VPN devices.')
output publicIpAddresses string[] = [for (publicIpName, index) in publicIpNames: publicIps[index].outputs.ipAddress]

@description('BGP peering addresses of the gateway instances, comma-separated.')
output bgpPeeringAddress string = running.properties.bgpSettings.bgpPeeringAddress
