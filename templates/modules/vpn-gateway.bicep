metadata name = 'VPN gateway'
metadata description = 'A route-based VPN gateway with BGP on zone-redundant AZ SKU, active-active or not, with its Standard, Static, zoned public IPs.'

@export()
@description('A VPN gateway: the hub\'s or a VNet branch\'s.')
type vpnGatewayType = {
  @description('Required. Name of the gateway.')
  name: string

  @description('Required. Gateway SKU (AZ SKUs only).')
  sku: 'VpnGw1AZ' | 'VpnGw2AZ' | 'VpnGw3AZ' | 'VpnGw4AZ' | 'VpnGw5AZ'

  @description('Required. Gateway generation: VpnGw1AZ only exists as Generation1.')
  generation: 'Generation1' | 'Generation2'

  @description('Required. BGP ASN of the gateway.')
  asn: int

  @description('Required. Active-active: two instances and two public IPs.')
  activeActive: bool

  @description('Required. Names of the gateway\'s public IPs: two when active-active, one otherwise.')
  publicIpNames: string[]

  @description('Optional. Custom APIPA BGP addresses, one per instance, for VPN devices that peer from APIPA addresses.')
  customBgpIpAddresses: string[]?

  @description('Optional. Names of an existing gateway\'s IP configurations, one per instance.')
  ipConfigurationNames: string[]?
}

@description('Required. Name of the VPN gateway.')
param name string

@description('Required. Azure region of the gateway and its public IPs.')
param location string

@description('Optional. Tags put on the gateway and its public IPs.')
param tags object = {}

@description('Required. Gateway SKU.')
param sku 'VpnGw1AZ' | 'VpnGw2AZ' | 'VpnGw3AZ' | 'VpnGw4AZ' | 'VpnGw5AZ'

@description('Required. Gateway generation: VpnGw1AZ only exists as Generation1.')
param generation 'Generation1' | 'Generation2'

@description('Required. BGP ASN of the gateway (65515 when it exchanges routes with a Route Server).')
param asn int

@description('Required. Two instances with one public IP each; required next to a Route Server.')
param activeActive bool

@description('Required. Names of the public IPs: two when active-active, one otherwise.')
param publicIpNames string[]

@description('Required. Resource ID of the GatewaySubnet the gateway lives in.')
param gatewaySubnetResourceId string

@description('Optional. Custom APIPA BGP addresses (169.254.21.0-169.254.22.255), one per instance in instance order; empty: none.')
param customBgpIpAddresses string[] = []

@description('Optional. Names of the IP configurations, one per instance; empty: ipconfig1 (and ipconfig2).')
param ipConfigurationNames string[] = []

module publicIps 'public-ip.bicep' = [
  for publicIpName in publicIpNames: {
    name: 'pip-${uniqueString(deployment().name, publicIpName)}'
    params: {
      name: publicIpName
      location: location
      tags: tags
    }
  }
]

resource gateway 'Microsoft.Network/virtualNetworkGateways@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
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
    ipConfigurations: [
      for (publicIpName, index) in publicIpNames: {
        name: empty(ipConfigurationNames) ? 'ipconfig${index + 1}' : ipConfigurationNames[index]
        properties: {
          privateIPAllocationMethod: 'Dynamic'
          subnet: {
            id: gatewaySubnetResourceId
          }
          publicIPAddress: {
            id: publicIps[index].outputs.resourceId
          }
        }
      }
    ]
  }
}

@description('Resource ID of the VPN gateway.')
output resourceId string = gateway.id

@description('Name of the VPN gateway.')
output name string = gateway.name

@description('Public IP addresses of the gateway instances: the tunnel endpoints for VPN devices.')
output publicIpAddresses string[] = [for (publicIpName, index) in publicIpNames: publicIps[index].outputs.ipAddress]

@description('BGP peering addresses of the gateway instances, comma-separated.')
output bgpPeeringAddress string = gateway.properties.bgpSettings.bgpPeeringAddress
