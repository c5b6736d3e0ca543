metadata name = 'Hub and spoke peering'
metadata description = 'The two peerings between the hub VNet and a spoke: the hub lends its gateways (gateway transit), the spoke uses them, so on-premises and the branches learn the spoke and the spoke learns them.'

import { routeTableType } from 'route-table.bicep'
import { virtualNetworkType } from 'virtual-network.bicep'

@export()
@description('A spoke: a workload VNet peered with the hub that uses its gateways and routes transit through its firewall.')
type spokeType = {
  @description('Required. Spoke name.')
  name: string

  @description('Required. The spoke virtual network.')
  virtualNetwork: virtualNetworkType

  @description('Optional. The route table of the spoke\'s subnets; present for every spoke when transit is inspected, for none otherwise.')
  routeTable: routeTableType?

  @description('Required. The subnets that get the route table (all but those Azure refuses it on); empty without one.')
  routeTableSubnets: string[]

  @description('Required. Name of the hub -> spoke peering.')
  hubToSpokePeeringName: string

  @description('Required. Name of the spoke -> hub peering.')
  spokeToHubPeeringName: string
}

@description('Required. Name of the hub virtual network.')
param hubVirtualNetworkName string

@description('Required. Name of the spoke virtual network.')
param spokeVirtualNetworkName string

@description('Required. Name of the hub -> spoke peering.')
param hubToSpokeName string

@description('Required. Name of the spoke -> hub peering.')
param spokeToHubName string

resource hub 'Microsoft.Network/virtualNetworks@2025-05-01' existing = {
  name: hubVirtualNetworkName
}

resource spoke 'Microsoft.Network/virtualNetworks@2025-05-01' existing = {
  name: spokeVirtualNetworkName
}

resource hubToSpoke 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2025-05-01' = {
  parent: hub
  name: hubToSpokeName
  properties: {
    remoteVirtualNetwork: {
      id: spoke.id
    }
    allowVirtualNetworkAccess: true
    allowForwardedTraffic: true
    allowGatewayTransit: true
    useRemoteGateways: false
  }
}

resource spokeToHub 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2025-05-01' = {
  parent: spoke
  name: spokeToHubName
  properties: {
    remoteVirtualNetwork: {
      id: hub.id
    }
    allowVirtualNetworkAccess: true
    allowForwardedTraffic: true
    allowGatewayTransit: false
    // The hub's gateways advertise the spoke and teach it their routes; needs the hub side's gateway transit first.
    useRemoteGateways: true
  }
  dependsOn: [
    hubToSpoke
  ]
}

@description('Resource IDs of the two peerings (hub -> spoke, spoke -> hub).')
output resourceIds string[] = [hubToSpoke.id, spokeToHub.id]

@description('Names of the two peerings (hub -> spoke, spoke -> hub).')
output names string[] = [hubToSpoke.name, spokeToHub.name]
