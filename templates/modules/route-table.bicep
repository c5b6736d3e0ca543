metadata name = 'Route table'
metadata description = 'A route table for one or several subnets (a hub subnet, a spoke\'s subnets). Gateway route propagation stays on where the subnet needs the routes the gateways learn (GatewaySubnet requires it; the firewall must learn on-premises and branch routes).'

@export()
@description('A user-defined route.')
type routeType = {
  @description('Required. Route name, unique in the table.')
  name: string

  @description('Required. Destination prefix (or service tag).')
  addressPrefix: string

  @description('Required. Where matching traffic goes.')
  nextHopType: 'VirtualAppliance' | 'VirtualNetworkGateway' | 'VnetLocal' | 'Internet' | 'None'

  @description('Optional. Next hop address; only for VirtualAppliance.')
  nextHopIpAddress: string?
}

@export()
@description('A route table and its routes; the subnets that use it name it.')
type routeTableType = {
  @description('Required. Name of the route table.')
  name: string

  @description('Optional. Resource group of the route table (its VNet\'s), when not the hub\'s.')
  resourceGroup: string?

  @description('Optional. Subscription of the route table, when not the hub\'s.')
  subscriptionId: string?

  @description('Optional. Azure region of the route table (its VNet\'s), when not the hub\'s.')
  location: string?

  @description('Required. Whether routes learned by the gateways reach the subnets (BGP route propagation).')
  propagateGatewayRoutes: bool

  @description('Required. Routes of the table: all of them, since a redeploy deletes routes it does not list.')
  routes: routeType[]
}

@description('Required. Name of the route table.')
param name string

@description('Required. Azure region of the route table.')
param location string

@description('Optional. Tags put on the route table.')
param tags object = {}

@description('Optional. Whether routes learned by the gateways reach the subnet; GatewaySubnet requires true.')
param propagateGatewayRoutes bool = true

@description('Required. The routes, in spec order.')
param routes routeType[]

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

var kept = asDeployed[?resourceId('Microsoft.Network/routeTables', name)] ?? asDeployed[?'Microsoft.Network/routeTables/${name}'] ?? {}

// Every route of the table, inline: a route table PUT deletes the routes it does not list.
var routeEntries = [
  for route in routes: {
    name: route.name
    properties: {
      addressPrefix: route.addressPrefix
      nextHopType: route.nextHopType
      nextHopIpAddress: route.?nextHopIpAddress
    }
  }
]

resource routeTable 'Microsoft.Network/routeTables@2025-05-01' = {
  name: name
  location: location
  tags: kept.?tags ?? tags
  properties: union(
    {
      disableBgpRoutePropagation: !propagateGatewayRoutes
      routes: routeEntries
    },
    kept.?properties ?? {}
  )
}

@description('Resource ID of the route table.')
output resourceId string = routeTable.id

@description('Name of the route table.')
output name string = routeTable.name
