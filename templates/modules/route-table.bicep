metadata name = 'Route table'
metadata description = 'A route table whose BGP route propagation stays on: GatewaySubnet requires it, and the firewall must keep learning on-premises and branch routes.'

@export()
@description('A user-defined route.')
type routeType = {
  @description('Required. Route name, unique in the table.')
  name: string

  @description('Required. Destination prefix.')
  addressPrefix: string

  @description('Required. Where matching traffic goes.')
  nextHopType: 'VirtualAppliance' | 'Internet'

  @description('Optional. Next hop address; only for VirtualAppliance.')
  nextHopIpAddress: string?
}

@export()
@description('A route table and its routes.')
type routeTableType = {
  @description('Required. Name of the route table.')
  name: string

  @description('Required. Routes of the table.')
  routes: routeType[]
}

@description('Required. Name of the route table.')
param name string

@description('Required. Azure region of the route table.')
param location string

@description('Optional. Tags put on the route table.')
param tags object = {}

@description('Required. The routes, in spec order.')
param routes routeType[]

resource routeTable 'Microsoft.Network/routeTables@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    disableBgpRoutePropagation: false
    routes: [
      for route in routes: {
        name: route.name
        properties: {
          addressPrefix: route.addressPrefix
          nextHopType: route.nextHopType
          nextHopIpAddress: route.?nextHopIpAddress
        }
      }
    ]
  }
}

@description('Resource ID of the route table.')
output resourceId string = routeTable.id

@description('Name of the route table.')
output name string = routeTable.name
