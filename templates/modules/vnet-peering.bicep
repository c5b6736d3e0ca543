metadata name = 'VNet peering'
metadata description = 'One side of a VNet peering, in the resource group of its VNet. Hub and spoke: the hub lends its gateways (gateway transit) and the spoke uses them, so on-premises and the branches learn the spoke and the spoke learns them. Hub to hub (several regions): neither, each has gateways of its own.'

import { virtualNetworkType } from 'virtual-network.bicep'

@export()
@description('A spoke: a workload VNet peered with the hub that uses its gateways and routes transit through its firewall.')
type spokeType = {
  @description('Required. Spoke name.')
  name: string

  @description('Optional. Resource group of the spoke\'s VNet, route tables and peering, when not the hub\'s.')
  resourceGroup: string?

  @description('Optional. Subscription of the spoke\'s resources, when not the hub\'s.')
  subscriptionId: string?

  @description('Optional. Azure region of the spoke (global VNet peering with gateway transit), when not the hub\'s.')
  location: string?

  @description('Required. The spoke virtual network.')
  virtualNetwork: virtualNetworkType

  @description('Required. Name of the hub -> spoke peering.')
  hubToSpokePeeringName: string

  @description('Required. Name of the spoke -> hub peering.')
  spokeToHubPeeringName: string
}

@export()
@description('One direction of a global VNet peering between two hubs: forwarded traffic from the other hub\'s firewall, no gateway transit (each hub has gateways of its own).')
type hubPeeringType = {
  @description('Required. Name of the peering.')
  name: string

  @description('Required. Resource group of the local hub VNet.')
  resourceGroup: string

  @description('Optional. Subscription of the local hub VNet; default: the one deployed to.')
  subscriptionId: string?

  @description('Required. Name of the local hub VNet.')
  virtualNetworkName: string

  @description('Required. Resource group of the other hub VNet.')
  remoteResourceGroup: string

  @description('Optional. Subscription of the other hub VNet; default: the one deployed to.')
  remoteSubscriptionId: string?

  @description('Required. Name of the other hub VNet.')
  remoteVirtualNetworkName: string
}

@description('Required. Name of the VNet this peering belongs to (in this module\'s resource group).')
param virtualNetworkName string

@description('Required. Name of the peering.')
param name string

@description('Required. Resource ID of the VNet on the other side.')
param remoteVirtualNetworkResourceId string

@description('Required. The hub side: lend the hub\'s gateways to the spoke.')
param allowGatewayTransit bool

@description('Required. The spoke side: use the hub\'s gateways (needs the hub side\'s gateway transit first).')
param useRemoteGateways bool

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

resource virtualNetwork 'Microsoft.Network/virtualNetworks@2025-05-01' existing = {
  name: virtualNetworkName
}

resource peering 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2025-05-01' = {
  parent: virtualNetwork
  name: name
  properties: union(
    {
      remoteVirtualNetwork: {
        id: remoteVirtualNetworkResourceId
      }
      allowVirtualNetworkAccess: true
      // Transit the firewall forwards (on-premises and branches to the spoke) arrives as forwarded traffic.
      allowForwardedTraffic: true
      allowGatewayTransit: allowGatewayTransit
      useRemoteGateways: useRemoteGateways
    },
    (asDeployed[?resourceId('Microsoft.Network/virtualNetworks/virtualNetworkPeerings', virtualNetworkName, name)] ?? asDeployed[?'Microsoft.Network/virtualNetworks/${virtualNetworkName}/virtualNetworkPeerings/${name}']).?properties ?? {}
  )
}

@description('Resource ID of the peering.')
output resourceId string = peering.id

@description('Name of the peering.')
output name string = peering.name
